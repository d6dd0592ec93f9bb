package dev.poolctl.cli.commands;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DurationConverterTest {
    final DurationConverter c = new DurationConverter();

    @Test
    void readsUnitsAndPlainSeconds() {
        assertEquals(Duration.ofMillis(500), c.convert("500ms"));
        assertEquals(Duration.ofSeconds(2), c.convert("2s"));
        assertEquals(Duration.ofMillis(1500), c.convert("1.5"));
        assertEquals(Duration.ofMinutes(2), c.convert("2m"));
        assertEquals(Duration.ofMinutes(3), c.convert(" 3MIN "));
    }

    @Test
    void refusesNonsenseAndNothing() {
        assertEquals("'soon' is not a duration (e.g. 500ms, 1s, 2m)",
                assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("soon")).getMessage());
        assertEquals("'0s' must be more than 0",
                assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("0s")).getMessage());
        assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("-1"));
        assertThrows(CommandLine.TypeConversionException.class, () -> c.convert("1.5ms"));
    }
}

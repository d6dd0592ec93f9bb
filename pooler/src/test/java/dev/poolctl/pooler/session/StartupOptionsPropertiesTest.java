package dev.poolctl.pooler.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.Chars;
import net.jqwik.api.constraints.NotEmpty;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/** StartupOptions fed hostile input: it ends, linearly, with settings or PgBouncer's refusal, nothing else. */
class StartupOptionsPropertiesTest {
    @Property(tries = 2000)
    void anyInputIsParsedOrRefusedWithPgBouncersWording(
            @ForAll @Chars({'-', 'c', '=', '\\', ' ', '\t', 'a'}) @StringLength(max = 60) String options) {
        try {
            for (String[] setting : StartupOptions.parse(options)) {
                assertEquals(2, setting.length);
                assertTrue(!setting[0].isEmpty(), "a setting has a name");
            }
        } catch (IllegalArgumentException e) {
            assertEquals(StartupOptions.UNSUPPORTED, e.getMessage());
        }
    }

    @Property(tries = 500)
    void escapedSettingsComeBackAsGiven(@ForAll @Size(max = 5) List<@AlphaChars @NotEmpty @StringLength(max = 8) String> names,
                                        @ForAll @Chars({'a', ' ', '=', '\\', ',', '-'}) @StringLength(max = 8) String value) {
        StringBuilder options = new StringBuilder();
        for (String name : names) {
            options.append(" -c ").append(name).append('=').append(value.replace("\\", "\\\\").replace(" ", "\\ "));
        }
        List<String[]> parsed = StartupOptions.parse(options.toString());
        assertEquals(names.size(), parsed.size());
        for (int i = 0; i < names.size(); i++) {
            assertArrayEquals(new String[] {names.get(i), value}, parsed.get(i));
        }
    }

    /** A long adversarial input costs time proportional to its length (a quadratic parser takes minutes here). */
    @Property(tries = 5)
    void longInputsAreLinear(@ForAll @Chars({'-', 'c', '=', '\\', ' '}) @StringLength(min = 1, max = 4) String unit) {
        String options = "-c a=" + unit.repeat(250_000);
        long t0 = System.nanoTime();
        try {
            StartupOptions.parse(options);
        } catch (IllegalArgumentException e) {
            assertEquals(StartupOptions.UNSUPPORTED, e.getMessage());
        }
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "parsed in linear time");
    }
}

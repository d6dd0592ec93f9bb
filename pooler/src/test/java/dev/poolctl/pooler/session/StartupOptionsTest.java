package dev.poolctl.pooler.session;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StartupOptionsTest {
    @Test
    void dashCAndDoubleDashSettings() {
        List<String[]> s = StartupOptions.parse("  -c search_path=a,b   -csearch_path=c --IntervalStyle=iso_8601 ");
        assertEquals(3, s.size());
        assertArrayEquals(new String[] {"search_path", "a,b"}, s.get(0));
        assertArrayEquals(new String[] {"search_path", "c"}, s.get(1));
        assertArrayEquals(new String[] {"IntervalStyle", "iso_8601"}, s.get(2));
        assertEquals(0, StartupOptions.parse("   ").size());
    }

    @Test
    void backslashEscapesLikePgBouncer() {
        // The case of PgBouncer's own test (test_startup_options): escaped letters, and an escaped "=" and space.
        List<String[]> s = StartupOptions.parse("-c t\\imezone=\\P\\o\\r\\t\\ugal  -c    dat\\estyle\\=\\Ge\\rman,\\ YMD");
        assertArrayEquals(new String[] {"timezone", "Portugal"}, s.get(0));
        assertArrayEquals(new String[] {"datestyle", "German, YMD"}, s.get(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-d", "-c timezone", "-c =x", "search_path=a", "-c a=b -x"})
    void anythingElseIsPgBouncersError(String options) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StartupOptions.parse(options));
        assertEquals("unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed",
                e.getMessage());
    }
}

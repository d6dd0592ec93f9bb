package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/** libpq's meaning of each value, for the three kinds of server: writable primary, read-only primary, standby. */
class TargetSessionAttrsTest {
    private static String verdict(TargetSessionAttrs t, boolean standby, boolean readOnly, boolean noStandbyFound) {
        return t.mismatch(standby, readOnly, noStandbyFound) == null ? "ok" : "no";
    }

    @Test
    void eachValueAgainstEachRole() {
        // columns: writable primary, read-only primary (default_transaction_read_only=on), standby
        String[][] expected = {
                {"any", "ok", "ok", "ok"},
                {"read-write", "ok", "no", "no"},
                {"read-only", "no", "ok", "ok"},
                {"primary", "ok", "ok", "no"},
                {"standby", "no", "no", "ok"},
                {"prefer-standby", "no", "no", "ok"},
        };
        for (String[] row : expected) {
            TargetSessionAttrs t = TargetSessionAttrs.parse(row[0]);
            assertEquals(row[1], verdict(t, false, false, false), row[0] + " on a writable primary");
            assertEquals(row[2], verdict(t, false, true, false), row[0] + " on a read-only primary");
            assertEquals(row[3], verdict(t, true, true, false), row[0] + " on a standby");
        }
    }

    @Test
    void preferStandbyTakesAPrimaryOnlyWhenNoStandbyWasFound() {
        assertEquals("no", verdict(TargetSessionAttrs.PREFER_STANDBY, false, false, false));
        assertEquals("ok", verdict(TargetSessionAttrs.PREFER_STANDBY, false, false, true));
        assertNull(TargetSessionAttrs.STANDBY.mismatch(true, true, false));
        assertEquals("server is a standby, not read-write (target_session_attrs)",
                TargetSessionAttrs.READ_WRITE.mismatch(true, true, false));
        assertEquals("server is a writable primary, not standby (target_session_attrs)",
                TargetSessionAttrs.STANDBY.mismatch(false, false, false));
    }
}

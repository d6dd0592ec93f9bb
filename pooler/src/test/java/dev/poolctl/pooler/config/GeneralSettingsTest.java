package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

class GeneralSettingsTest {
    @Test
    void rawValuesAreCanonicalForShowConfig() {
        GeneralSettings g = GeneralSettings.of(Map.of(
                Setting.LOG_STATS, "off",
                Setting.QUERY_TIMEOUT, "2.50",
                Setting.AUTH_TYPE, "TRUST",
                Setting.IGNORE_STARTUP_PARAMETERS, "Extra_Float_Digits, options"));
        assertEquals("0", g.raw(Setting.LOG_STATS));
        assertEquals("2.5", g.raw(Setting.QUERY_TIMEOUT));
        assertEquals("trust", g.raw(Setting.AUTH_TYPE));
        assertEquals("6432", g.raw(Setting.LISTEN_PORT));
        assertEquals("<empty>", g.raw(Setting.SERVER_CHECK_QUERY));
        assertEquals(Duration.ofMillis(2500), g.queryTimeout());
        assertEquals(Set.of("extra_float_digits", "options"), g.ignoreStartupParameters());
        assertEquals(Setting.values().length, g.rawValues().size());
    }

    @Test
    void badValueNamesTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GeneralSettings.of(Map.of(Setting.MAX_CLIENT_CONN, "abc")));
        assertEquals("[pgbouncer] max_client_conn: invalid integer 'abc'", e.getMessage());
    }

    @Test
    void withReturnsAChangedCopy() {
        GeneralSettings defaults = GeneralSettings.defaults();
        GeneralSettings changed = defaults.with(Setting.DEFAULT_POOL_SIZE, "50");
        assertEquals(20, defaults.defaultPoolSize());
        assertEquals(50, changed.defaultPoolSize());
        assertNotEquals(defaults, changed);
        assertEquals(defaults, changed.with(Setting.DEFAULT_POOL_SIZE, "20"));
        assertThrows(IllegalArgumentException.class, () -> defaults.with(Setting.DEFAULT_POOL_SIZE, "x"));
        assertEquals("GeneralSettings{default_pool_size=50}", changed.toString());
    }

    @Test
    void serverCheckQueryStates() {
        GeneralSettings defaults = GeneralSettings.defaults();
        assertEquals(GeneralSettings.EMPTY_QUERY, defaults.serverCheckQuery());
        assertTrue(defaults.serverCheckEnabled());

        GeneralSettings disabled = defaults.with(Setting.SERVER_CHECK_QUERY, "");
        assertEquals("", disabled.serverCheckQuery());
        assertFalse(disabled.serverCheckEnabled());

        GeneralSettings select = defaults.with(Setting.SERVER_CHECK_QUERY, "select 1");
        assertEquals("select 1", select.serverCheckQuery());
        assertTrue(select.serverCheckEnabled());
    }

    @Test
    void listsAndOptionalStrings() {
        GeneralSettings g = GeneralSettings.of(Map.of(
                Setting.LISTEN_ADDR, "127.0.0.1, ::1",
                Setting.ADMIN_USERS, "admin,ops",
                Setting.PIDFILE, "/run/pgbouncer.pid"));
        assertEquals(List.of("127.0.0.1", "::1"), g.listenAddr());
        assertEquals(List.of("admin", "ops"), g.adminUsers());
        assertEquals(List.of(), g.statsUsers());
        assertEquals("/run/pgbouncer.pid", g.pidfile());
        assertEquals(null, g.authUser());
    }

    @Test
    void typedAccessByKeyChecksTheType() {
        GeneralSettings g = GeneralSettings.defaults();
        assertEquals(128, g.intValue(Setting.LISTEN_BACKLOG));
        assertEquals("disable", g.stringValue(Setting.CLIENT_TLS_SSLMODE));
        assertEquals(Duration.ofSeconds(15), g.durationValue(Setting.DNS_MAX_TTL));
        assertThrows(IllegalArgumentException.class, () -> g.intValue(Setting.LOGFILE));
    }
}

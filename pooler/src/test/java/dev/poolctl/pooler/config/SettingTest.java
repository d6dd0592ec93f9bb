package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

class SettingTest {
    @Test
    void tableHasEveryPgBouncerKeyInShowConfigOrder() {
        List<String> keys = Stream.of(Setting.values()).map(Setting::key).toList();
        // PgBouncer's 101 and poolctl's event_loops, io_method, drain_accept_grace, drain_message, drain_on_sigterm,
        // drain_timeout, http_listen_addr, http_listen_port
        assertEquals(109, keys.size());
        assertEquals(keys.stream().sorted().toList(), keys, "PgBouncer's table (and SHOW CONFIG) is alphabetical");
        for (String key : List.of("listen_addr", "client_tls_sslmode", "server_tls13_ciphers", "dns_max_ttl",
                "syslog_facility", "tcp_user_timeout", "peer_id", "auth_ldap_options", "scram_iterations",
                "max_prepared_statements", "track_extra_parameters", "query_wait_notify")) {
            assertTrue(keys.contains(key), key);
        }
    }

    @Test
    void everyDefaultIsValidForItsType() {
        for (Setting setting : Setting.values()) {
            setting.normalize(setting.defaultValue());
        }
    }

    @Test
    void newestDefaults() {
        assertEquals("", Setting.LISTEN_ADDR.defaultValue());
        assertEquals("6432", Setting.LISTEN_PORT.defaultValue());
        assertEquals("/tmp", Setting.UNIX_SOCKET_DIR.defaultValue());
        assertEquals("md5", Setting.AUTH_TYPE.defaultValue());
        assertEquals("prefer", Setting.SERVER_TLS_SSLMODE.defaultValue());
        assertEquals("<empty>", Setting.SERVER_CHECK_QUERY.defaultValue());
        assertEquals("200", Setting.MAX_PREPARED_STATEMENTS.defaultValue());
        assertEquals("IntervalStyle", Setting.TRACK_EXTRA_PARAMETERS.defaultValue());
        assertEquals("2147483647", Setting.MAX_PACKET_SIZE.defaultValue());
    }

    @Test
    void noReloadKeysMatchPgBouncer() {
        Set<String> noReload = new HashSet<>();
        for (Setting setting : Setting.values()) {
            if (!setting.reloadable()) {
                noReload.add(setting.key());
            }
        }
        assertEquals(Set.of("disable_pqexec", "job_name", "listen_addr", "listen_backlog", "listen_port", "pidfile",
                "pkt_buf", "resolv_conf", "event_loops", "io_method", "http_listen_addr", "http_listen_port", "service_name", "so_reuseport",
                "track_extra_parameters", "unix_socket_dir",
                "unix_socket_group", "unix_socket_mode", "user"), noReload);
    }

    @Test
    void fromKeyIsCaseInsensitive() {
        assertEquals(Setting.MAX_CLIENT_CONN, Setting.fromKey("Max_Client_Conn").orElseThrow());
        assertTrue(Setting.fromKey("no_such_key").isEmpty());
    }

    @Test
    void integersFollowCSyntax() {
        assertEquals("511", Setting.UNIX_SOCKET_MODE.normalize("0777"));
        assertEquals("16", Setting.PKT_BUF.normalize("0x10"));
        assertEquals("-1", Setting.VERBOSE.normalize("-1"));
        assertEquals("0", Setting.VERBOSE.normalize("0"));
        for (String bad : List.of("", "abc", "12abc", "08", "1.5", "99999999999", "0x")) {
            IllegalArgumentException e =
                    assertThrows(IllegalArgumentException.class, () -> Setting.LISTEN_PORT.normalize(bad));
            assertEquals("invalid integer '" + bad + "'", e.getMessage());
        }
    }

    @Test
    void booleansAcceptWordsAndIntegers() {
        for (String yes : List.of("1", "yes", "on", "true", "TRUE", "2")) {
            assertEquals("1", Setting.LOG_STATS.normalize(yes), yes);
        }
        for (String no : List.of("0", "no", "off", "false", "Off")) {
            assertEquals("0", Setting.LOG_STATS.normalize(no), no);
        }
        assertThrows(IllegalArgumentException.class, () -> Setting.LOG_STATS.normalize("maybe"));
        assertThrows(IllegalArgumentException.class, () -> Setting.LOG_STATS.normalize(""));
    }

    @Test
    void durationsAreSecondsAsDecimals() {
        assertEquals("0.5", Setting.QUERY_TIMEOUT.normalize("0.5"));
        assertEquals("120", Setting.QUERY_TIMEOUT.normalize("120.000"));
        assertEquals("1000", Setting.QUERY_TIMEOUT.normalize("1e3"));
        assertEquals("0.000001", Setting.QUERY_TIMEOUT.normalize(".000001"));
        for (String bad : List.of("", "-1", "1s", "1d", "abc", "NaN", "Infinity")) {
            assertThrows(IllegalArgumentException.class, () -> Setting.QUERY_TIMEOUT.normalize(bad), bad);
        }
    }

    @Test
    void enumsAreCaseInsensitiveAndPrintedInPgBouncerSpelling() {
        assertEquals("scram-sha-256", Setting.AUTH_TYPE.normalize("SCRAM-SHA-256"));
        assertEquals("transaction", Setting.POOL_MODE.normalize("Transaction"));
        assertEquals("verify-full", Setting.CLIENT_TLS_SSLMODE.normalize("VERIFY-FULL"));
        assertThrows(IllegalArgumentException.class, () -> Setting.AUTH_TYPE.normalize("password"));
        assertThrows(IllegalArgumentException.class, () -> Setting.SERVER_TLS_SSLMODE.normalize("on"));
    }

    @Test
    void textAndListsAreKeptAsWritten() {
        assertEquals("a, b", Setting.ADMIN_USERS.normalize(" a, b "));
        assertEquals("", Setting.LOGFILE.normalize(""));
    }

    @Test
    void authTypeSpellings() {
        for (AuthType type : AuthType.values()) {
            assertEquals(type, AuthType.parse(type.toString()));
        }
        assertEquals("scram-sha-256", AuthType.SCRAM_SHA_256.toString());
        assertEquals(AuthType.TRUST, AuthType.parse(" Trust "));
    }
}

package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The console against hostile or misleading input: a line built to make a regex backtrack does not stall other
 * clients, SET refuses what a config load refuses, and SHOW CLIENTS counts console sessions as PgBouncer does.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsoleHardeningIT {
    private static PostgresCluster pg;
    private static PoolerFixture pooler;

    @BeforeAll
    static void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("stats_users", PostgresCluster.CLEARTEXT_USER)
                .database("au", "host=127.0.0.1 port=${port} dbname=testdb auth_user=" + PostgresCluster.MD5_USER
                        + " auth_dbname=unconfigured"));
    }

    @AfterAll
    static void stop() {
        pooler.close();
    }

    private static Connection admin() throws SQLException {
        return pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple");
    }

    private static List<Map<String, String>> rows(Connection c, String sql) throws SQLException {
        return AdminConsoleIT.rows(c, sql);
    }

    private static String config(Connection c, String key) throws SQLException {
        return rows(c, "SHOW CONFIG").stream().filter(r -> key.equals(r.get("key"))).findFirst()
                .orElseThrow().get("value");
    }

    @Test
    void unterminatedQuotedWordFromAStatsUserDoesNotStallOtherClients() throws Exception {
        ExecutorService thread = Executors.newSingleThreadExecutor();
        try (Connection other = pooler.connect(); RawClient console = RawClient.connect(pooler)) {
            try (Statement st = other.createStatement()) {
                st.execute("select 1"); // logged in and a server linked before the hostile line arrives
            }
            console.login(PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD, "pgbouncer");
            String hostile = "SHOW \"" + "a".repeat(50_000);
            console.send(RawClient.query(hostile));

            Future<Integer> select = thread.submit(() -> {
                try (Statement st = other.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                    rs.next();
                    return rs.getInt(1);
                }
            });
            assertEquals(1, select.get(2, TimeUnit.SECONDS), "another client's SELECT 1 answers promptly");

            RawClient.Message error = console.readError();
            assertEquals("08P01", error.fields().get('C'));
            assertTrue(error.fields().get('M').startsWith("invalid command 'SHOW \"aaa"), error.fields().get('M'));
            console.readUntil('Z');
            assertEquals(List.of("poolctl"), RawClient.firstColumn(console.simpleQuery("SHOW VERSION")).stream()
                    .map(v -> v.split(" ")[0]).toList(), "the console session goes on");
        } finally {
            thread.shutdownNow();
        }
    }

    /** PgBouncer before 1.25.2 let any console user run KILL_CLIENT (CVE-2026-6667); only admin_users may. */
    @Test
    void killClientNeedsAdminRights() throws Exception {
        try (Connection victim = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD, "ApplicationName=kill-target");
             Connection stats = pooler.connect("pgbouncer", PostgresCluster.CLEARTEXT_USER,
                     PostgresCluster.CLEARTEXT_PASSWORD, "preferQueryMode=simple")) {
            try (Statement st = victim.createStatement()) {
                st.execute("select 1");
            }
            String id = rows(stats, "SHOW CLIENTS").stream()
                    .filter(r -> "kill-target".equals(r.get("application_name"))).findFirst().orElseThrow().get("id");
            SQLException e = assertThrows(SQLException.class, () -> rows(stats, "KILL_CLIENT " + id));
            assertTrue(e.getMessage().contains("admin access needed"), e.getMessage());
            try (Statement st = victim.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
                assertTrue(rs.next(), "the client a stats user tried to kill is still served");
            }
        }
    }

    @Test
    void showClientsListsConsoleSessions() throws Exception {
        try (Connection admin = admin(); Connection stats = pooler.connect("pgbouncer", PostgresCluster.CLEARTEXT_USER,
                PostgresCluster.CLEARTEXT_PASSWORD, "preferQueryMode=simple")) {
            List<Map<String, String>> consoleRows = rows(admin, "SHOW CLIENTS").stream()
                    .filter(r -> "pgbouncer".equals(r.get("database"))).toList();
            assertEquals(2, consoleRows.size(), "both console sessions: " + consoleRows);
            assertEquals(List.of(PostgresCluster.MD5_USER, PostgresCluster.CLEARTEXT_USER),
                    consoleRows.stream().map(r -> r.get("user")).sorted(
                            java.util.Comparator.comparing((String u) -> !u.equals(PostgresCluster.MD5_USER))).toList());
            for (Map<String, String> r : consoleRows) {
                assertEquals("active", r.get("state"));
                assertEquals("C", r.get("type"));
                assertEquals("127.0.0.1", r.get("addr"));
            }
            assertTrue(rows(stats, "SHOW SOCKETS").stream().anyMatch(r -> "pgbouncer".equals(r.get("database"))
                    && "cl_active".equals(r.get("state"))), "SHOW SOCKETS lists them too");
            // PgBouncer sends its time columns as text ('2026-12-04 17:11:46 UTC'); a timestamptz type made psycopg
            // fail to parse the console's own row (PgBouncer's test_admin.py::test_show).
            try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    if (md.getColumnLabel(i).endsWith("_time")) {
                        assertEquals("text", md.getColumnTypeName(i), md.getColumnLabel(i));
                    }
                }
            }
        }
    }

    @Test
    void setRefusesWhatAConfigLoadRefuses() throws Exception {
        try (Connection c = admin()) {
            for (String set : List.of("SET auth_type = 'ldap'", "SET auth_type = 'pam'",
                    "SET default_pool_size = 'many'", "SET server_tls_sslmode = 'sometimes'")) {
                SQLException e = assertThrows(SQLException.class, () -> c.createStatement().execute(set), set);
                assertTrue(e.getMessage().contains("SET failed"), set + ": " + e.getMessage());
            }
            assertEquals("prefer", config(c, "server_tls_sslmode"));
            // TLS keys as PgBouncer: a value of the right syntax is stored even when the set cannot be used (yet),
            // answered with a notice; the running TLS stays (no key and certificate: client TLS stays off).
            for (String set : List.of("SET server_tls_protocols = 'sslv3'", "SET client_tls_sslmode = 'require'")) {
                Statement st = c.createStatement();
                st.execute(set);
                assertTrue(String.valueOf(st.getWarnings()).contains(
                        "TLS settings could not be applied, still using old configuration"), set);
            }
            assertEquals("require", config(c, "client_tls_sslmode"));
            try (Connection plain = pooler.connect(); Statement st = plain.createStatement()) {
                assertTrue(st.executeQuery("select 1").next(), "plain clients still served: the old TLS is in force");
            }
            c.createStatement().execute("SET client_tls_sslmode = 'disable'");
            c.createStatement().execute("SET server_tls_protocols = 'secure'");
            assertEquals("md5", config(c, "auth_type"));
            pooler.awaitLog("SET auth_type refused: auth_type: 'pam' is not supported yet", Duration.ofSeconds(5));
            pooler.awaitLog("SET auth_type refused: auth_ldap_options: no LDAP options are set", Duration.ofSeconds(5));

            SQLException forged = assertThrows(SQLException.class,
                    () -> c.createStatement().execute("SET default_pool_size = 'x\n2026-01-01 FORGED LOG LINE'"));
            assertTrue(forged.getMessage().contains("SET failed"), forged.getMessage());
            pooler.awaitLog("SET default_pool_size refused: .*x\\?2026-01-01 FORGED", Duration.ofSeconds(5));
            assertFalse(pooler.log().contains("\n2026-01-01 FORGED"), "a value cannot start a log line of its own");

            c.createStatement().execute("SET server_tls_sslmode = 'disable'");
            assertEquals("disable", config(c, "server_tls_sslmode"), "a supported value is still applied");
            c.createStatement().execute("SET server_tls_sslmode = 'prefer'");
        }
        try (Connection client = pooler.connect(); Statement st = client.createStatement();
             ResultSet rs = st.executeQuery("select 1")) {
            assertTrue(rs.next(), "clients still log in with md5 after the refused SETs");
        }
    }

    /** A setting that can do nothing in poolctl says why; every PgBouncer 1.25 key is applied, so none says "not applied". */
    @Test
    void setOfASettingWithoutEffectSaysWhy() throws Exception {
        try (Connection c = admin(); Statement st = c.createStatement()) {
            st.execute("SET auth_ldap_options = 'ldapserver=ldap.example.net ldapprefix=cn='");
            java.sql.SQLWarning warning = st.getWarnings();
            assertFalse(warning != null && warning.getMessage().contains("not applied"), String.valueOf(warning));
            try (Statement noEffect = c.createStatement()) {
                noEffect.execute("SET pkt_buf = 8192");
                assertTrue(noEffect.getWarnings() != null && noEffect.getWarnings().getMessage().contains(
                        "pkt_buf has no effect in poolctl: "), String.valueOf(noEffect.getWarnings()));
            }
            try (Statement back = c.createStatement()) {
                back.execute("SET pkt_buf = 4096");
                assertFalse(back.getWarnings() != null && back.getWarnings().getMessage().contains("no effect"),
                        "setting it back to the default is not a warning");
                back.execute("SET auth_ldap_options = ''");
            }
        }
    }

    /** PgBouncer under auth_type=any lets any name on the console, but only admin_users may control. */
    @Test
    void authTypeAnyGivesAdminRightsOnlyToAdminUsers() throws Exception {
        try (PoolerFixture any = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("auth_type", "any")
                .set("admin_users", PostgresCluster.MD5_USER))) {
            try (Connection c = any.connect("pgbouncer", "somebody", null, "preferQueryMode=simple")) {
                assertEquals(1, rows(c, "SHOW VERSION").size(), "any name may read");
                for (String control : List.of("RESUME", "PAUSE", "SET default_pool_size = 3", "SHOW FDS")) {
                    SQLException e = assertThrows(SQLException.class, () -> c.createStatement().execute(control));
                    assertTrue(e.getMessage().contains("admin access needed"), control + ": " + e.getMessage());
                }
            }
            try (Connection c = any.connect("pgbouncer", PostgresCluster.MD5_USER, null, "preferQueryMode=simple")) {
                SQLException e = assertThrows(SQLException.class, () -> c.createStatement().execute("RESUME"));
                assertTrue(e.getMessage().contains("pooler is not paused/suspended"), e.getMessage());
                c.createStatement().execute("SET default_pool_size = 3");
                assertEquals("3", config(c, "default_pool_size"), "admin_users keep their rights");
            }
        }
    }

    /**
     * An auth_dbname that names no database: said at each load (at start that is before the logfile opens, so this
     * checks the RELOAD's).
     */
    @Test
    void anUnconfiguredAuthDbnameIsWarnedAboutAtReload() throws Exception {
        String warning = "WARNING [databases] au: authentication database \"unconfigured\" is not configured";
        try (Connection c = admin()) {
            c.createStatement().execute("RELOAD");
        }
        pooler.awaitLog(java.util.regex.Pattern.quote(warning), Duration.ofSeconds(5));
    }

    /** RESUME logs its argument before it knows the database: a quoted name with a newline stays on one line. */
    @Test
    void resumeOfAnUnknownQuotedNameCannotForgeALogLine() throws Exception {
        try (Connection c = admin()) {
            SQLException e = assertThrows(SQLException.class,
                    () -> c.createStatement().execute("RESUME \"x\n2026-01-01 FORGED RESUME\""));
            assertTrue(e.getMessage().contains("no such database"), e.getMessage());
        }
        pooler.awaitLog("RESUME 'x\\?2026-01-01 FORGED RESUME' command issued", Duration.ofSeconds(5));
        assertFalse(pooler.log().contains("\n2026-01-01 FORGED RESUME"));
    }
}

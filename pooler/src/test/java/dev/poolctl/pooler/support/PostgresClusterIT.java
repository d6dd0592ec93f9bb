package dev.poolctl.pooler.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Smoke test of the test harness itself: the throwaway cluster is up and set up as documented. */
@ExtendWith(PostgresClusterExtension.class)
class PostgresClusterIT {

    private static PostgresCluster staticField;
    private PostgresCluster instanceField;

    private final PostgresCluster pg;

    PostgresClusterIT(PostgresCluster pg) {
        this.pg = pg;
    }

    @Test
    void oneSharedInstanceReachesEveryInjectionPoint(PostgresCluster param) {
        assertSame(pg, param);
        assertSame(pg, staticField);
        assertSame(pg, instanceField);
        assertEquals("127.0.0.1", pg.host());
        assertTrue(pg.port() > 0);
        assertTrue(Files.exists(pg.socketDir().resolve(".s.PGSQL." + pg.port())), "unix socket exists");
        assertTrue(Files.isExecutable(pg.binary("psql")));
        assertEquals("jdbc:postgresql://127.0.0.1:" + pg.port() + "/testdb", pg.jdbcUrl("testdb"));
    }

    @ParameterizedTest
    @CsvSource({
        "trust_user,     trust_pw",
        "md5_user,       md5_pw",
        "scram_user,     scram_pw",
        "cleartext_user, cleartext_pw",
    })
    void eachRoleLogsInOverTcpWithItsPassword(String user, String password) throws SQLException {
        try (Connection c = pg.connect("testdb", user, password);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_user, current_database(), inet_server_addr()::text")) {
            assertTrue(rs.next());
            assertEquals(user, rs.getString(1));
            assertEquals("testdb", rs.getString(2));
            assertEquals("127.0.0.1/32", rs.getString(3), "TCP, not the unix socket");
        }
    }

    @ParameterizedTest
    @CsvSource({"scram_user", "md5_user", "cleartext_user"})
    void wrongPasswordIsRejectedWith28P01(String user) {
        SQLException e = assertThrows(SQLException.class, () -> pg.connect("testdb", user, "wrong").close());
        assertEquals("28P01", e.getSQLState(), e.getMessage());
    }

    @Test
    void trustUserNeedsNoPassword() throws SQLException {
        try (Connection c = pg.connect("testdb", "trust_user", null)) {
            assertTrue(c.isValid(5));
        }
    }

    @Test
    void storedSecretsHaveTheExpectedKind() {
        assertTrue(pg.scramSecret("scram_user").startsWith("SCRAM-SHA-256$"), pg.scramSecret("scram_user"));
        assertTrue(pg.scramSecret("cleartext_user").startsWith("SCRAM-SHA-256$"));
        String md5 = pg.md5Secret("md5_user");
        assertTrue(md5.startsWith("md5"), md5);
        assertEquals(PostgresCluster.md5SecretOf("md5_user", "md5_pw"), md5);
        assertThrows(IllegalStateException.class, () -> pg.md5Secret("scram_user"));
    }

    @Test
    void pgbenchSelectOnlyRunsAsScramUser() {
        Processes.Result r = Processes.command(pg.binary("pgbench").toString(),
                        "-S", "-T", "1", "-c", "2", "-h", pg.host(), "-p", String.valueOf(pg.port()),
                        "-U", "scram_user", "testdb")
                .env("PGPASSWORD", "scram_pw")
                .env("PGCONNECT_TIMEOUT", "5")
                .timeout(Duration.ofSeconds(30))
                .run()
                .assertSuccess("pgbench -S -T 1");
        assertTrue(r.stdout().contains("number of transactions actually processed"), r.stdout());
        assertTrue(r.stdout().contains("scaling factor: 1"), r.stdout());
    }

    @Test
    void psqlClientWithStdinAndEnvironment() {
        Processes.Result r = Processes.command(pg.binary("psql").toString(), "-X", "-At", "-v", "ON_ERROR_STOP=1",
                        "-h", pg.host(), "-p", String.valueOf(pg.port()), "-U", "md5_user", "-d", "testdb", "-f", "-")
                .env("PGPASSWORD", "md5_pw")
                .stdin("SELECT current_user;\nSELECT count(*) FROM pgbench_branches;\n")
                .timeout(Duration.ofSeconds(20))
                .runChecked();
        assertEquals(List.of("md5_user", "1"), r.stdout().lines().toList());

        Processes.Result bad = Processes.command(pg.binary("psql").toString(), "-X", "-At",
                        "-h", pg.host(), "-p", String.valueOf(pg.port()), "-U", "scram_user", "-d", "testdb", "-c", "select 1")
                .env("PGPASSWORD", "nope")
                .timeout(Duration.ofSeconds(20))
                .run()
                .assertFailure("psql with a wrong password");
        assertTrue(bad.stderr().contains("password authentication failed"), bad.stderr());
    }

    @Test
    void processTimeoutKillsTheCommand() {
        long t0 = System.nanoTime();
        Processes.ProcessTimeoutException e = assertThrows(Processes.ProcessTimeoutException.class,
                () -> Processes.command("sh", "-c", "echo started; sleep 30").timeout(Duration.ofMillis(500)).run());
        assertTrue(Duration.ofNanos(System.nanoTime() - t0).toSeconds() < 10, "did not wait for sleep 30");
        assertEquals("started\n", e.stdout());
    }

    @Test
    void queryAndTerminateBackends() throws SQLException {
        String count = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'trust_user'";
        try (Connection c = pg.connect("testdb", "trust_user", "trust_pw")) {
            assertEquals(List.of(List.of("1")), pg.query(count));
            assertEquals(1, pg.terminateBackends("trust_user"));
            assertEquals("0", pg.queryValue(count));
            assertFalse(c.isValid(5), "terminated connection is dead");
        }
        assertEquals(List.of(), pg.query("CREATE TEMP TABLE harness_probe(x int)"));
        List<List<String>> rows = pg.query("SELECT x, NULL FROM generate_series(1, 3) x ORDER BY x");
        assertEquals(3, rows.size());
        assertEquals("3", rows.get(2).get(0));
        assertEquals(null, rows.get(2).get(1));
    }

    @Test
    void testRolesMayCreateTablesInTestdb() throws SQLException {
        try (Connection c = pg.connect("testdb", "scram_user", "scram_pw"); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS scram_scratch(id int)");
            st.execute("DROP TABLE scram_scratch");
        }
    }
}

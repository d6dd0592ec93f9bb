package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.PassFiles;
import dev.poolctl.cli.support.MiniJson;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admin commands in-process ({@code Poolctl.run}) against a real pooler in front of the test PostgreSQL:
 * exit codes, stdout and stderr. The admin password comes from a password file (--passfile), never argv.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminCommandsIT {
    static PostgresCluster pg;
    static PoolerFixture pooler;
    static Path passfile;
    static Connection client;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER + ", " + PostgresCluster.SCRAM_USER));
        passfile = pgpass(dir.resolve("pgpass"), "*:*:pgbouncer:" + PostgresCluster.MD5_USER + ":"
                + PostgresCluster.MD5_PASSWORD + "\n*:*:pgbouncer:" + PostgresCluster.SCRAM_USER + ":"
                + PostgresCluster.SCRAM_PASSWORD + "\n");
        client = pooler.connect(); // a testdb pool, so SHOW POOLS has a row
        try (var st = client.createStatement()) {
            st.execute("select 1");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (pooler != null) {
            pooler.close();
        }
    }

    static Path pgpass(Path file, String text) throws IOException {
        return PassFiles.write(file, text);
    }

    /** poolctl ARGS -h 127.0.0.1 -p PORT -U md5_user --passfile FILE. */
    static Cli admin(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(pooler.port()), "-U", PostgresCluster.MD5_USER,
                "--passfile", passfile.toString()));
        return Cli.run(all.toArray(new String[0]));
    }

    static Cli ok(String... args) {
        Cli r = admin(args);
        assertEquals(0, r.code(), r.describe(args));
        return r;
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> json(String text) {
        return (List<Map<String, Object>>) MiniJson.parse(text);
    }

    static Map<String, Object> databaseRow(String db) {
        return json(ok("show", "databases", "--format", "json").out()).stream()
                .filter(r -> db.equals(r.get("name"))).findFirst().orElseThrow();
    }

    // ------------------------------------------------------------------ reload --dry-run

    @Test
    void reloadDryRunNamesChangesAndRestartKeysAndAppliesNothing(@TempDir Path dir) throws Exception {
        String ini = Files.readString(pooler.ini());
        String port = Integer.toString(pooler.port());
        Path edited = dir.resolve("edited.ini");
        Files.writeString(edited, ini
                .replace("[databases]\n", "[databases]\nextra = host=127.0.0.1 port=" + pg.port() + " dbname=testdb\n")
                .replace("[pgbouncer]\n", "[pgbouncer]\ndefault_pool_size = 7\n")
                .replace("listen_port = " + port, "listen_port = 1"));
        Cli r = ok("reload", "--dry-run", "-c", edited.toString());
        assertTrue(r.out().contains("default_pool_size: '20' -> '7'"), r.out());
        assertTrue(r.out().contains("listen_port: '" + port + "' -> '1'   (needs a restart"), r.out());
        assertTrue(r.out().contains("+ database extra"), r.out());
        assertTrue(r.out().contains("3 change(s)"), r.out());
        assertTrue(r.out().contains("note: the pooler's RELOAD reads '" + pooler.ini() + "', not this file"), r.out());
        Object applied = json(ok("show", "config", "--format", "json").out()).stream()
                .filter(row -> "default_pool_size".equals(row.get("key"))).findFirst().orElseThrow().get("value");
        assertEquals("20", String.valueOf(applied), "a dry run applies nothing");

        Cli noFile = admin("reload", "--dry-run");
        assertEquals(2, noFile.code(), noFile.describe("reload", "--dry-run"));
    }

    // ------------------------------------------------------------------ show

    @Test
    void showPoolsAsTable() {
        Cli r = ok("show", "pools");
        String[] lines = r.out().split("\n");
        assertTrue(lines[0].matches(" database\\s+\\|\\s+user\\s+\\|\\s+cl_active .*"), r.out());
        assertTrue(lines[1].matches("-+(\\+-+)+"), r.out());
        assertTrue(r.out().contains(" testdb "), r.out());
        assertTrue(lines[lines.length - 1].matches("\\(\\d+ rows?\\)"), r.out());
        assertEquals("", r.err());
    }

    @Test
    void showPoolsAsCsv() {
        Cli r = ok("show", "pools", "--format", "csv");
        assertTrue(r.out().startsWith("database,user,cl_active,cl_waiting,"), r.out());
        assertTrue(r.out().contains("\r\ntestdb," + PostgresCluster.MD5_USER + ","), r.out());
        assertTrue(r.out().endsWith("\r\n"), r.out());
    }

    @Test
    void showPoolsAsJsonParsesWithNumbersAsNumbers() {
        Cli r = ok("show", "pools", "-f", "json");
        List<Map<String, Object>> rows = json(r.out());
        Map<String, Object> testdb = rows.stream().filter(m -> "testdb".equals(m.get("database"))).findFirst()
                .orElseThrow(() -> new AssertionError(r.out()));
        assertEquals(PostgresCluster.MD5_USER, testdb.get("user"));
        assertInstanceOf(Number.class, testdb.get("cl_active"), r.out());
        assertInstanceOf(Number.class, testdb.get("sv_idle"), r.out());
        assertInstanceOf(String.class, testdb.get("pool_mode"), r.out());
    }

    @Test
    void showWithWatchRepeatsCountTimes() {
        Cli r = ok("show", "version", "--watch", "1", "--count", "2");
        assertEquals(2, r.out().split("\\(every 1s\\)", -1).length - 1, r.out());
        assertEquals(2, r.out().split("\\(1 row\\)", -1).length - 1, r.out());
        Cli j = ok("show", "version", "--watch", "1", "--count", "2", "--format", "json");
        assertEquals(2, j.out().split("\"version\"", -1).length - 1, j.out());
    }

    @Test
    void everyListIsAccepted() {
        for (String what : List.of("pools", "clients", "servers", "stats", "stats-totals", "stats-averages",
                "databases", "users", "config", "lists", "mem", "state", "version", "sockets", "totals",
                "hazards")) {
            ok("show", what, "--format", "json");
        }
    }

    @Test
    void scramAdminUserCanLogIn() {
        Cli r = Cli.run("show", "version", "-h", "127.0.0.1", "-p", Integer.toString(pooler.port()), "-U",
                PostgresCluster.SCRAM_USER, "--passfile", passfile.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(1 row)"), r.out());
    }

    @Test
    void unixSocketDirectoryAsHost() {
        Cli r = Cli.run("status", "-h", pooler.dir().toString(), "-p", Integer.toString(pooler.port()), "-U",
                PostgresCluster.MD5_USER, "--passfile", passfile.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("up: " + pooler.dir().resolve(".s.PGSQL." + pooler.port())), r.out());
    }

    @Test
    void configFileGivesAddressAndAdminUser() {
        Cli r = Cli.run("status", "-c", pooler.ini().toString(), "--passfile", passfile.toString());
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().contains("(user " + PostgresCluster.MD5_USER + ")"), r.out());
    }

    // ------------------------------------------------------------------ control

    @Test
    void pauseThenResume() {
        assertEquals("PAUSE\n", ok("pause", "testdb").out());
        assertEquals("1", databaseRow("testdb").get("paused").toString());
        assertEquals("RESUME\n", ok("resume", "testdb").out());
        assertEquals("0", databaseRow("testdb").get("paused").toString());
    }

    @Test
    void quietPrintsNothing() {
        Cli r = ok("pause", "-q");
        assertEquals("", r.out());
        assertEquals("", ok("resume", "--quiet").out());
    }

    @Test
    void reload() {
        Cli r = ok("reload");
        assertEquals("RELOAD\n", r.out());
    }

    @Test
    void killThenResume() throws Exception {
        try (Connection c = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD, "socketTimeout=10")) {
            try (var st = c.createStatement()) {
                st.execute("select 1");
            }
            assertEquals("KILL\n", ok("kill", "testdb").out());
            assertEquals("1", databaseRow("testdb").get("paused").toString());
            assertEquals("RESUME\n", ok("resume", "testdb").out());
        }
        try (Connection c = pooler.connect(); var st = c.createStatement()) {
            st.execute("select 1"); // usable again after resume
        }
    }

    @Test
    void disableThenEnable() {
        assertEquals("DISABLE\n", ok("disable", "testdb").out());
        assertEquals("1", databaseRow("testdb").get("disabled").toString());
        assertEquals("ENABLE\n", ok("enable", "testdb").out());
        assertEquals("0", databaseRow("testdb").get("disabled").toString());
    }

    @Test
    void reconnectAndWaitClose() {
        assertEquals("RECONNECT\n", ok("reconnect", "testdb").out());
        assertEquals("WAIT_CLOSE\n", ok("wait-close", "testdb", "--timeout", "30").out());
    }

    @Test
    void pauseOfAnUnknownDatabaseIsRefused() {
        Cli r = admin("pause", "nosuchdb");
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().matches("poolctl: no such database: nosuchdb \\(SQLSTATE \\w{5}\\)\n"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void killClientWithAnUnknownIdIsRefused() {
        Cli r = admin("kill-client", "999999");
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().startsWith("poolctl: client not found (SQLSTATE "), r.err());
    }

    // ------------------------------------------------------------------ status and failures

    @Test
    void statusWhenUp() {
        Cli r = ok("status");
        assertTrue(r.out().startsWith("up: 127.0.0.1:" + pooler.port() + " (user " + PostgresCluster.MD5_USER + ")\n"),
                r.out());
        assertTrue(r.out().contains("\nversion: "), r.out());
        assertTrue(r.out().matches("(?s).*\npools: \\d+ \\(clients \\d+ active, \\d+ waiting; servers .*"), r.out());
    }

    @Test
    void statusWhenNothingListensExits3() {
        int port = FreePort.find();
        Cli r = Cli.run("status", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "x", "--passfile",
                passfile.toString());
        assertEquals(3, r.code(), r.toString());
        assertTrue(r.err().startsWith("poolctl: cannot connect to 127.0.0.1:" + port + ": "), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void wrongPasswordExits4WithThePoolersMessage(@TempDir Path dir) throws IOException {
        Path wrong = pgpass(dir.resolve("wrong"), "*:*:*:*:not-the-password\n");
        Cli r = Cli.run("show", "pools", "-h", "127.0.0.1", "-p", Integer.toString(pooler.port()), "-U",
                PostgresCluster.MD5_USER, "--passfile", wrong.toString());
        assertEquals(4, r.code(), r.toString());
        // PgBouncer (and poolctl after it) reports a failed login with 08P01, not PostgreSQL's 28P01.
        assertTrue(r.err().matches("poolctl: password authentication failed \\(SQLSTATE \\w{5}\\)\n"), r.err());
        assertEquals("", r.out());
    }

    @Test
    void nonAdminUserIsRefused(@TempDir Path dir) throws IOException {
        Path pw = pgpass(dir.resolve("pw"), "*:*:*:" + PostgresCluster.CLEARTEXT_USER + ":"
                + PostgresCluster.CLEARTEXT_PASSWORD + "\n");
        Cli r = Cli.run("pause", "-h", "127.0.0.1", "-p", Integer.toString(pooler.port()), "-U",
                PostgresCluster.CLEARTEXT_USER, "--passfile", pw.toString());
        assertEquals(4, r.code(), r.toString());
        assertTrue(r.err().startsWith("poolctl: "), r.err());
    }

    @Test
    void badFlagsExit2() {
        Cli format = admin("show", "pools", "--format", "xml");
        assertEquals(2, format.code(), format.toString());
        assertTrue(format.err().contains("xml"), format.err());
        assertEquals(2, admin("show").code());
        assertEquals(2, admin("show", "nonsense").code());
        assertEquals(2, admin("pause", "--bogus").code());
        assertEquals(2, admin("kill").code());
        assertEquals(2, admin("shutdown", "--wait-for-servers", "--wait-for-clients").code());
        assertEquals(2, admin("show", "pools", "--count", "2").code());
        Cli inject = admin("pause", "testdb; SHUTDOWN");
        assertEquals(2, inject.code(), inject.toString());
        assertFalse(inject.err().contains("Exception"), inject.err());
    }

    @Test
    void everyCommandHasHelpWithExitCodesAndAnExample() {
        for (String cmd : List.of("show", "status", "reload", "pause", "resume", "kill", "kill-client", "reconnect",
                "disable", "enable", "suspend", "shutdown", "wait-close")) {
            Cli r = Cli.run(cmd, "--help");
            assertEquals(0, r.code(), cmd + ": " + r);
            assertTrue(r.out().contains("Exit codes:"), cmd + ": " + r.out());
            assertTrue(r.out().contains("3   cannot reach the pooler"), cmd + ": " + r.out());
            assertTrue(r.out().contains("4   refused by the pooler"), cmd + ": " + r.out());
            assertTrue(r.out().contains("Example"), cmd + ": " + r.out());
        }
    }
}

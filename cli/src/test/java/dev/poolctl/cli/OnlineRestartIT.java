package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.client.AdminClient;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Queries;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code poolctl start -R} (PgBouncer's online restart, as a hand-over): the running pooler finishes the query its
 * client is in, drains it and exits; the new one serves new clients on the same TCP port and unix socket and owns
 * the pidfile, which the old one's exit must not remove. Real processes, real PostgreSQL.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class OnlineRestartIT {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    static PostgresCluster pg;

    @TempDir
    Path dir;
    private Path ini;
    private Path pidfile;
    private int port;
    private final List<Process> started = new ArrayList<>();

    @BeforeEach
    void config() throws IOException {
        port = FreePort.find();
        pidfile = dir.resolve("pooler.pid");
        Files.writeString(dir.resolve("userlist.txt"), "\"" + PostgresCluster.TRUST_USER + "\" \"\"\n");
        ini = dir.resolve("pgbouncer.ini");
        writeIni("unix_socket_dir = " + dir);
    }

    private void writeIni(String socketLine) throws IOException {
        Files.writeString(ini, String.join("\n",
                "[databases]",
                "testdb = host=" + pg.host() + " port=" + pg.port() + " dbname=" + PostgresCluster.TEST_DB,
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = " + port,
                socketLine,
                "auth_type = trust",
                "auth_file = " + dir.resolve("userlist.txt"),
                "pool_mode = session",
                "logfile = " + dir.resolve("pooler.log"),
                "pidfile = " + pidfile,
                ""));
    }

    @AfterEach
    void stop() {
        for (Process p : started) {
            p.destroyForcibly();
        }
    }

    @Test
    void theOldPoolerFinishesTheQueryInFlightAndDrainsWhileTheNewOneTakesNewClients() throws Exception {
        Process old = start(List.of());
        await("first pooler up", () -> pidIn(pidfile) == old.pid() && accepts());
        try (Connection busy = connect("busy"); Statement st = busy.createStatement()) {
            CompletableFuture<SQLException> sleeping = Queries.running(st, pg, "select pg_sleep(3)");

            Process next = start(List.of("-R"));
            await("new pooler owns the pidfile", () -> pidIn(pidfile) == next.pid());
            await("new pooler accepts", this::accepts);
            // A new client is the new process's, over TCP and over the unix socket (console trusted by peer uid).
            try (Connection fresh = connect("fresh");
                    AdminClient console = AdminClient.connect(new AdminClient.Target(dir.toString(), port, "pgbouncer"),
                            u -> null, 5_000, 5_000)) {
                assertEquals("1", Queries.single(fresh, "select 1"));
                AdminClient.Result clients = console.query("SHOW CLIENTS");
                int app = clients.columns().indexOf("application_name");
                List<String> apps = clients.rows().stream().map(r -> r.get(app)).toList();
                assertTrue(apps.contains("fresh") && !apps.contains("busy"), "the unix socket and the port are the"
                        + " new process's, the busy client the old one's: " + apps);
            }
            assertTrue(old.isAlive(), "the old pooler waits for the query in flight");
            assertNull(sleeping.get(20, TimeUnit.SECONDS), "the query in flight on the old pooler completes");
            // At its transaction boundary the client is sent away (57P01), as a drain does.
            SQLException away = org.junit.jupiter.api.Assertions.assertThrows(SQLException.class,
                    () -> Queries.single(busy, "select 1"));
            assertTrue(away.getMessage().contains("pooler is draining") || "08006".equals(away.getSQLState()),
                    away.getSQLState() + " " + away.getMessage());
        }
        assertTrue(old.waitFor(20, TimeUnit.SECONDS), "the old pooler exits once its last client is gone");
        assertEquals(0, old.exitValue());
        assertEquals(started.get(1).pid(), pidIn(pidfile), "the old pooler's exit left the new one's pidfile");
        assertTrue(Files.exists(dir.resolve(".s.PGSQL." + port)), "and its unix socket");
        try (Connection after = connect()) {
            assertEquals("1", Queries.single(after, "select 1"), "the client reconnects, to the new pooler");
        }
        String log = Files.readString(dir.resolve("pooler.log"));
        assertTrue(log.contains("online restart: pid " + old.pid() + " no longer listens"), log);
    }

    /**
     * The old pooler's drain_accept_grace: it takes new clients until it closes its port, and the new process waits
     * for that. A SIGTERM the new process gets meanwhile (a supervisor's) acts once it is up, instead of ending its
     * JVM before it has started.
     */
    @Test
    void theOldOnesAcceptGraceDelaysTheHandOverAndASignalMeanwhileActsOnceTheNewOneIsUp() throws Exception {
        writeIni("unix_socket_dir = " + dir + "\ndrain_accept_grace = 3");
        Process old = start(List.of());
        await("first pooler up", () -> pidIn(pidfile) == old.pid() && accepts());
        Process next = start(List.of("-R"));
        await("the old pooler's grace began", () -> log().contains("drain: accepting new clients on TCP for 3.0s"));
        assertTrue(accepts(), "the old pooler still takes new clients during its grace");
        assertEquals(0, new ProcessBuilder("kill", "-TERM", Long.toString(next.pid())).start().waitFor());
        assertTrue(next.waitFor(30, TimeUnit.SECONDS), "the new pooler ends after the TERM");
        assertEquals(0, next.exitValue(), "a shutdown, not the JVM's default end of 143");
        String log = log();
        int up = log.indexOf("[" + next.pid() + "] LOG process up");
        int term = log.indexOf("[" + next.pid() + "] LOG got SIGTERM, shutting down");
        assertTrue(up >= 0 && term > up, "it started, then took the TERM it got while waiting: " + log);
        assertTrue(old.waitFor(20, TimeUnit.SECONDS), "the old pooler exits, drained");
    }

    private String log() {
        try {
            return Files.readString(dir.resolve("pooler.log"));
        } catch (IOException e) {
            return "";
        }
    }

    @Test
    void withNothingRunningItIsAPlainStart() throws Exception {
        Process p = start(List.of("-R"));
        await("pooler up", () -> pidIn(pidfile) == p.pid() && accepts());
    }

    @Test
    void withoutAUnixSocketItIsRefusedAndTheRunningPoolerStays() throws Exception {
        writeIni("unix_socket_dir =");
        Process old = start(List.of());
        await("first pooler up", () -> pidIn(pidfile) == old.pid() && accepts());
        Process next = start(List.of("-R"));
        assertTrue(next.waitFor(30, TimeUnit.SECONDS));
        assertEquals(1, next.exitValue());
        String out = new String(next.getInputStream().readAllBytes());
        assertTrue(out.contains("online restart: needs unix_socket_dir"), out);
        assertTrue(old.isAlive());
        assertTrue(accepts());
        assertFalse(next.isAlive());
    }

    private Process start(List<String> flags) throws IOException {
        Path jar = Path.of("target", "poolctl.jar").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of("java", "-jar", jar.toString(), "start", "-q"));
        cmd.addAll(flags);
        cmd.addAll(List.of("-c", ini.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        started.add(p);
        return p;
    }

    private Connection connect() throws SQLException {
        return connect("test");
    }

    private Connection connect(String applicationName) throws SQLException {
        return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/testdb?sslmode=disable"
                + "&ApplicationName=" + applicationName, PostgresCluster.TRUST_USER, "");
    }

    private boolean accepts() {
        try (Connection c = connect()) {
            return c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static long pidIn(Path file) {
        try {
            return Long.parseLong(Files.readString(file).trim());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static void await(String what, java.util.function.BooleanSupplier condition) {
        PoolerFixture.await(what, AWAIT, condition);
    }
}

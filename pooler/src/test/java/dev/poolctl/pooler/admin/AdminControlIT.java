package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The console's control commands with PgBouncer's semantics, against real clients. Each test has its own pooler. */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AdminControlIT {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static PostgresCluster pg;
    private PoolerFixture pooler;

    @BeforeEach
    void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "4")
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("query_wait_timeout", "60"));
    }

    @AfterEach
    void stop() {
        pooler.close();
    }

    private Connection admin() throws SQLException {
        return pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple");
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    private static String value(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql + " returned no row");
            return rs.getString(1);
        }
    }

    private Map<String, String> state(Connection admin) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW STATE")) {
            while (rs.next()) {
                out.put(rs.getString("key"), rs.getString("value"));
            }
        }
        return out;
    }

    private int servers() {
        var pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
        return pool == null ? 0 : pooler.inLoop(pool::serverCount);
    }

    @Test
    void pauseAndResumeUnderPgbenchLoseNoTransaction() throws Exception {
        CompletableFuture<Processes.Result> bench = CompletableFuture.supplyAsync(() -> pooler.run("pgbench",
                PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, Duration.ofSeconds(60),
                "-n", "-c", "8", "-T", "6", PostgresCluster.TEST_DB));
        PoolerFixture.await("pgbench running through the pool", AWAIT, () -> servers() > 0);
        try (Connection admin = admin()) {
            exec(admin, "PAUSE"); // returns once every server is released and closed
            assertEquals("yes", state(admin).get("paused"));
            assertEquals(0, servers(), "PAUSE leaves no server connection");
            exec(admin, "RESUME");
            assertEquals("yes", state(admin).get("active"));
        }
        Processes.Result r = bench.get(60, TimeUnit.SECONDS);
        r.assertSuccess("pgbench through PAUSE/RESUME");
        assertFalse(r.stdout().matches("(?s).*number of failed transactions: [1-9].*"), r.stdout());
        assertTrue(r.stdout().contains("tps = "), r.stdout());
    }

    @Test
    void pausedQueriesWaitAndThenComplete() throws Exception {
        try (Connection admin = admin(); Connection client = pooler.connect()) {
            exec(admin, "PAUSE " + PostgresCluster.TEST_DB);
            CompletableFuture<String> query = CompletableFuture.supplyAsync(() -> {
                try {
                    return value(client, "select 'after resume'");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            var pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            PoolerFixture.await("the query to queue", AWAIT, () -> pooler.inLoop(pool::waitingCount) == 1);
            assertFalse(query.isDone());
            exec(admin, "RESUME " + PostgresCluster.TEST_DB);
            assertEquals("after resume", query.get(20, TimeUnit.SECONDS));
        }
    }

    @Test
    void killDropsClientsAndServersAndKeepsTheDatabasePausedUntilResume() throws Exception {
        try (Connection admin = admin(); Connection victim = pooler.connect()) {
            assertEquals("1", value(victim, "select 1"));
            exec(admin, "KILL " + PostgresCluster.TEST_DB);
            assertThrows(SQLException.class, () -> value(victim, "select 1"), "killed client is gone");
            PoolerFixture.await("servers closed", AWAIT, () -> servers() == 0);
            try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW DATABASES")) {
                boolean seen = false;
                while (rs.next()) {
                    if (rs.getString("name").equals(PostgresCluster.TEST_DB)) {
                        assertEquals(1, rs.getInt("paused"));
                        seen = true;
                    }
                }
                assertTrue(seen);
            }
            exec(admin, "RESUME " + PostgresCluster.TEST_DB);
            try (Connection again = pooler.connect()) {
                assertEquals("2", value(again, "select 2"));
            }
        }
    }

    @Test
    void reconnectGivesNewServerConnections() throws Exception {
        try (Connection admin = admin(); Connection client = pooler.connect()) {
            String before = value(client, "select pg_backend_pid()");
            exec(admin, "RECONNECT " + PostgresCluster.TEST_DB);
            // Transaction mode, pool of 4: whichever server comes next is a new one.
            PoolerFixture.await("old servers closed", AWAIT, () -> servers() == 0);
            assertNotEquals(before, value(client, "select pg_backend_pid()"));
        }
    }

    @Test
    void waitCloseReturnsOnceTheReconnectedServerIsReleased() throws Exception {
        try (Connection admin = admin(); Connection holder = pooler.connect()) {
            holder.setAutoCommit(false);
            value(holder, "select 1"); // holds a server inside a transaction
            exec(admin, "RECONNECT");
            CompletableFuture<Void> waitClose = CompletableFuture.runAsync(() -> {
                try {
                    exec(admin, "WAIT_CLOSE");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThrows(java.util.concurrent.TimeoutException.class, () -> waitClose.get(500, TimeUnit.MILLISECONDS),
                    "WAIT_CLOSE waits while the marked server is still in use");
            holder.commit();
            waitClose.get(20, TimeUnit.SECONDS);
        }
    }

    @Test
    void disableRefusesNewLoginsUntilEnable() throws Exception {
        try (Connection admin = admin(); Connection existing = pooler.connect()) {
            exec(admin, "DISABLE " + PostgresCluster.TEST_DB);
            SQLException e = assertThrows(SQLException.class, () -> pooler.connect().close());
            assertTrue(e.getMessage().contains("database \"testdb\" is disabled"), e.getMessage());
            assertEquals("1", value(existing, "select 1"), "existing clients are not affected");
            exec(admin, "ENABLE " + PostgresCluster.TEST_DB);
            try (Connection c = pooler.connect()) {
                assertEquals("1", value(c, "select 1"));
            }
        }
    }

    @Test
    void suspendStopsTrafficUntilResume() throws Exception {
        try (Connection admin = admin(); Connection client = pooler.connect()) {
            assertEquals("1", value(client, "select 1"));
            exec(admin, "SUSPEND");
            assertEquals("yes", state(admin).get("suspended"));
            CompletableFuture<String> query = CompletableFuture.supplyAsync(() -> {
                try {
                    return value(client, "select 'resumed'");
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThrows(java.util.concurrent.TimeoutException.class, () -> query.get(500, TimeUnit.MILLISECONDS),
                    "a suspended pooler does not read the query");
            exec(admin, "RESUME");
            assertEquals("resumed", query.get(20, TimeUnit.SECONDS));
        }
    }

    /**
     * PgBouncer's SUSPEND answers once every buffer is flushed; a client that reads nothing keeps its buffer full, so
     * the answer waits for suspend_timeout, which closes that client (and only it).
     */
    @Test
    void suspendWaitsForBuffersUntilSuspendTimeoutClosesAClientThatDoesNotRead() throws Exception {
        try (Connection admin = admin(); Connection bystander = pooler.connect();
                dev.poolctl.pooler.support.RawClient stuck = dev.poolctl.pooler.support.RawClient.connect(pooler)) {
            assertEquals("1", value(bystander, "select 1"));
            stuck.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, PostgresCluster.TEST_DB);
            stuck.socket().setReceiveBufferSize(4096);
            stuck.send(dev.poolctl.pooler.support.RawClient.query(
                    "select repeat('x', 1000) from generate_series(1, 50000)")); // 50 MB it never reads
            var pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            java.util.function.LongSupplier pending = () -> pooler.inLoop(
                    () -> pool.clients().stream().mapToLong(c -> c.pendingWriteBytes()).sum());
            long[] last = {-1};
            // Unchanged between two polls 300 ms apart: the kernel's buffers are full, what is left stays unsent.
            PoolerFixture.await("the pooler holds unsent bytes for the stuck client", AWAIT, () -> {
                long before = last[0];
                last[0] = pending.getAsLong();
                if (last[0] == 0 || last[0] != before) {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    return false;
                }
                return true;
            });
            exec(admin, "SET suspend_timeout = 1");
            long t0 = System.nanoTime();
            exec(admin, "SUSPEND");
            long waitedMillis = dev.poolctl.pooler.support.Queries.millisSince(t0);
            assertTrue(waitedMillis >= 900, "answered after suspend_timeout, not at once: " + waitedMillis + " ms");
            assertEquals("yes", state(admin).get("suspended"));
            pooler.awaitLog("closing because: suspend_timeout", AWAIT);
            exec(admin, "RESUME");
            assertEquals("1", value(bystander, "select 1"), "the other client is untouched");
        }
    }

    /**
     * PgBouncer's test_client_id: a console that sent Terminate is gone from the next console's SHOW CLIENTS, also
     * with io_uring, which reports the channel inactive only a loop turn after the close.
     */
    @Test
    void aConsoleThatSentTerminateIsNotListedByTheNextOne() throws Exception {
        for (int i = 0; i < 100; i++) {
            try (Connection admin = admin(); Statement st = admin.createStatement();
                    ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
                int rows = 0;
                while (rs.next()) {
                    rows++;
                }
                assertEquals(1, rows, "round " + i + ": only this console");
            }
        }
    }

    @Test
    void killClientDropsExactlyThatClient() throws Exception {
        try (Connection admin = admin();
             Connection victim = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                     PostgresCluster.MD5_PASSWORD, "ApplicationName=victim");
             Connection bystander = pooler.connect()) {
            assertEquals("1", value(victim, "select 1"));
            String id = null;
            try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
                while (rs.next()) {
                    if ("victim".equals(rs.getString("application_name"))) {
                        id = rs.getString("id");
                    }
                }
            }
            assertTrue(id != null, "SHOW CLIENTS lists the victim with its id");
            exec(admin, "KILL_CLIENT " + id);
            assertThrows(SQLException.class, () -> value(victim, "select 1"));
            assertEquals("1", value(bystander, "select 1"));
            SQLException e = assertThrows(SQLException.class, () -> exec(admin, "KILL_CLIENT 999999"));
            assertTrue(e.getMessage().contains("client not found"), e.getMessage());
        }
    }

    @Test
    void setChangesAReloadableSettingAtOnce() throws Exception {
        try (Connection admin = admin()) {
            exec(admin, "SET default_pool_size = 2");
            try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW CONFIG")) {
                String value = null;
                while (rs.next()) {
                    if (rs.getString("key").equals("default_pool_size")) {
                        value = rs.getString("value");
                    }
                }
                assertEquals("2", value);
            }
            SQLException e = assertThrows(SQLException.class, () -> exec(admin, "SET no_such_key = 1"));
            assertTrue(e.getMessage().contains("SET failed"), e.getMessage());
        }
    }

    @Test
    void shutdownStopsTheDaemon() throws Exception {
        try (Connection admin = admin(); Statement st = admin.createStatement()) {
            try {
                st.execute("SHUTDOWN");
            } catch (SQLException expected) {
                // PgBouncer does not answer SHUTDOWN: the connection closes with the process.
            }
        }
        assertTrue(pooler.daemon().awaitTermination(20, TimeUnit.SECONDS), "daemon stopped");
    }
}

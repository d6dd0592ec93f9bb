package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static dev.poolctl.pooler.support.Queries.millisSince;
import static dev.poolctl.pooler.support.Queries.single;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.FaultProxy;
import dev.poolctl.pooler.support.FaultProxy.Fault;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Network faults between the pooler and PostgreSQL (issue 13, item 6): a {@link FaultProxy} sits in front of the
 * shared cluster and database {@value #DB} goes through it. Each test breaks the path one way and checks what the
 * clients see (an error with PgBouncer's SQLSTATE and message, or success; never a hang), how soon the pool serves
 * again once the fault is cleared, and that SHOW POOLS is back to a settled pool. The last test kills a backend
 * with SIGKILL instead, which makes PostgreSQL end every backend and run crash recovery: the postmaster stays up on
 * its port, so the shared cluster can take it, and the test ends only once PostgreSQL serves again.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FaultsIT {
    private static final String DB = "faultdb";
    private static final Duration AWAIT = Duration.ofSeconds(10);
    /** Bounds every client call: a pooler that hangs fails the test instead of blocking it. */
    private static final String SOCKET_TIMEOUT = "socketTimeout=10";

    private static PostgresCluster pg;
    private FaultProxy proxy;
    private PoolerFixture pooler;

    private void start(PoolerFixture.Settings settings) {
        proxy = new FaultProxy(PostgresCluster.HOST, pg.port());
        pooler = PoolerFixture.start(pg, settings
                .set("admin_users", PostgresCluster.MD5_USER)
                .database(DB, "host=127.0.0.1 port=" + proxy.port() + " dbname=testdb"));
    }

    @AfterEach
    void stop() {
        try (FaultProxy p = proxy) {
            if (pooler != null) {
                pooler.close();
            }
        }
        // A backend cut off from its client mid-query lives until its query ends: none may outlast the test.
        pg.terminateBackends(PostgresCluster.MD5_USER);
    }

    private Connection connect() throws SQLException {
        return pooler.connect(DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, SOCKET_TIMEOUT);
    }


    /** Runs {@code sql} in the background: its error, or null if it succeeded. */
    private static CompletableFuture<SQLException> failureOf(Connection c, String sql) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                single(c, sql);
                return null;
            } catch (SQLException e) {
                return e;
            }
        });
    }

    /** A new client's first query, timed: how soon the pool serves once the fault is gone. */
    private long serveNewClient(String what) throws SQLException {
        long t0 = System.nanoTime();
        try (Connection c = connect()) {
            assertEquals("1", single(c, "select 1"), what);
        }
        return millisSince(t0);
    }

    /** Servers of the pool, in any state. */
    private int serverCount() {
        Pool pool = pooler.pool(DB, PostgresCluster.MD5_USER);
        return pooler.inLoop(pool::serverCount);
    }

    /** PgBouncer's error to a client whose request failed: FATAL 08P01, the connection closed after it. */
    private static void assertPoolerError(SQLException e, String message) {
        assertEquals("08P01", e.getSQLState(), e.getMessage());
        assertTrue(e.getMessage().contains(message), "expected '" + message + "': " + e.getMessage());
    }

    /** SHOW POOLS' row of {@value #DB}, column by column. */
    private Map<String, Integer> showPools() throws SQLException {
        try (Connection admin = pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple", SOCKET_TIMEOUT);
             Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(DB) && rs.getString("user").equals(PostgresCluster.MD5_USER)) {
                    Map<String, Integer> row = new LinkedHashMap<>();
                    for (String column : new String[] {"cl_active", "cl_waiting", "sv_active", "sv_idle", "sv_used",
                            "sv_tested", "sv_login", "maxwait"}) {
                        row.put(column, rs.getInt(column));
                    }
                    return row;
                }
            }
        }
        throw new AssertionError("SHOW POOLS has no row for " + DB);
    }

    /**
     * A settled pool: {@code clients} logged-in clients, none waiting, no server busy or logging in, and
     * {@code idleServers} idle ones.
     */
    private void awaitSettled(int clients, int idleServers) {
        Map<String, Integer> settled = new LinkedHashMap<>();
        settled.put("cl_active", clients);
        settled.put("cl_waiting", 0);
        settled.put("sv_active", 0);
        settled.put("sv_idle", idleServers);
        settled.put("sv_used", 0);
        settled.put("sv_tested", 0);
        settled.put("sv_login", 0);
        settled.put("maxwait", 0);
        AtomicReference<Map<String, Integer>> last = new AtomicReference<>();
        try {
            PoolerFixture.await("SHOW POOLS " + settled, AWAIT, () -> {
                try {
                    last.set(showPools());
                    return last.get().equals(settled);
                } catch (SQLException e) {
                    throw new AssertionError("SHOW POOLS failed", e);
                }
            });
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last: " + last.get() + "\npooler log:\n" + pooler.log(), e);
        }
    }

    @Test
    void aDelayedServerAnswersSlowerAndFastAgainOnceTheDelayEnds() throws Exception {
        start(PoolerFixture.settings().set("default_pool_size", "2"));
        try (Connection a = connect(); Connection b = connect()) {
            assertEquals("1", single(a, "select 1"));

            proxy.delay(Duration.ofMillis(150));
            long t0 = System.nanoTime();
            assertEquals("2", single(a, "select 2"));
            long delayed = millisSince(t0);
            // A new server's login is several round trips, each chunk late: it completes all the same.
            a.setAutoCommit(false);
            assertEquals("3", single(a, "select 3")); // a keeps its server: b needs a second one
            t0 = System.nanoTime();
            assertEquals("4", single(b, "select 4"));
            long login = millisSince(t0);
            a.commit();
            a.setAutoCommit(true);

            proxy.set(Fault.PASS);
            t0 = System.nanoTime();
            assertEquals("5", single(a, "select 5"));
            long recovered = millisSince(t0);
            System.out.printf("[FaultsIT] delay 150 ms per chunk: a query took %d ms, a query with a new server's"
                    + " login %d ms; the first query after the delay ended %d ms%n", delayed, login, recovered);
            assertTrue(delayed >= 290 && delayed < 5_000, "query and answer each 150 ms late: " + delayed + " ms");
            assertTrue(login >= 590 && login < 10_000, "a login is at least two round trips: " + login + " ms");
            assertTrue(recovered < 290, "no delay left: " + recovered + " ms");
            awaitSettled(2, 2);
        }
    }

    @Test
    void droppedServerLoginsFailTheQueuedClientAtQueryWaitTimeoutAndThePoolRecovers() throws Exception {
        start(PoolerFixture.settings()
                .set("default_pool_size", "2")
                .set("query_wait_timeout", "1.5")
                .set("server_login_retry", "1"));
        try (Connection holder = connect(); Connection queued = connect()) {
            holder.setAutoCommit(false);
            assertEquals("1", single(holder, "select 1")); // the pool's only server, held in a transaction

            proxy.set(Fault.DROP);
            int acceptedBefore = proxy.acceptedCount();
            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(queued, "select 2"));
            long waited = millisSince(t0);
            int dropped = proxy.acceptedCount() - acceptedBefore;
            assertPoolerError(e, "query_wait_timeout");
            assertTrue(waited >= 1_400 && waited < 5_000, "failed after " + waited + " ms");
            pooler.awaitLog("S-\\d+: " + DB + "/md5_user@127\\.0\\.0\\.1:" + proxy.port()
                    + " server login failed: server conn crashed\\?", AWAIT);
            // A server that closes during its login is a failed login (PgBouncer's last_connect_failed): the next
            // attempt comes after a backoff of 100, 200, 400, 500 ms, not at once in a loop (thousands before).
            assertTrue(dropped >= 2 && dropped <= 6, dropped + " logins tried in " + waited + " ms");
            assertEquals("3", single(holder, "select 3"), "an open server is not affected");

            proxy.set(Fault.PASS);
            // The holder keeps its server: the new client needs a login.
            long recovered = serveNewClient("served once logins pass again");
            holder.commit();
            System.out.printf("[FaultsIT] drop: the queued client failed after %d ms (%d logins dropped); served"
                    + " %d ms after the drop ended%n", waited, dropped, recovered);
            assertTrue(recovered < 3_000, "served " + recovered + " ms after the fault");
            awaitSettled(1, 2);
        }
    }

    @Test
    void aBlackholedServerTimesOutTheQueryAndTheLoginAndNewConnectionsServeAfterwards() throws Exception {
        start(PoolerFixture.settings()
                .set("default_pool_size", "1")
                .set("query_timeout", "1")
                .set("server_connect_timeout", "0.5")
                .set("server_login_retry", "1"));
        try (Connection a = connect(); Connection b = connect()) {
            assertEquals("1", single(a, "select 1"));

            proxy.set(Fault.BLACKHOLE);
            long t0 = System.nanoTime();
            SQLException onServer = assertThrows(SQLException.class, () -> single(a, "select 2"));
            long running = millisSince(t0);
            assertPoolerError(onServer, "query timeout");
            pooler.awaitLog("S-\\d+: .*closing because: query timeout", AWAIT);

            // The pool has no server now: the next query waits for a login the blackhole never answers.
            t0 = System.nanoTime();
            SQLException queuedError = assertThrows(SQLException.class, () -> single(b, "select 3"));
            long waited = millisSince(t0);
            assertPoolerError(queuedError, "query_timeout");
            pooler.awaitLog("S-\\d+: .*closing because: connect timeout", AWAIT);

            proxy.set(Fault.PASS);
            long recovered = serveNewClient("served once the blackhole is gone");
            System.out.printf("[FaultsIT] blackhole: query timeout after %d ms on the server, %d ms in the queue;"
                    + " served %d ms after the blackhole ended%n", running, waited, recovered);
            assertTrue(running >= 900 && running < 4_000, "query timeout after " + running + " ms");
            assertTrue(waited >= 900 && waited < 4_000, "query_timeout in the queue after " + waited + " ms");
            assertTrue(recovered < 3_000, "served " + recovered + " ms after the fault");
            awaitSettled(0, 1);
            // Every blackholed connection was closed by the pooler: only the pool's one server is open.
            PoolerFixture.await("the proxy to carry only the pool's server", AWAIT, () -> proxy.openCount() == 1);
        }
    }

    @Test
    void aResetInTheMiddleOfAQueryFailsItsClientWithServerConnCrashed() throws Exception {
        start(PoolerFixture.settings().set("default_pool_size", "2"));
        try (Connection sleeper = connect(); Connection other = connect()) {
            sleeper.setAutoCommit(false);
            assertEquals("1", single(sleeper, "select 1"));
            assertEquals("2", single(other, "select 2")); // a second server, idle from now on
            sleeper.commit();
            sleeper.setAutoCommit(true);
            awaitSettled(2, 2);

            CompletableFuture<SQLException> sleeping = failureOf(sleeper, "select pg_sleep(20)::text");
            PoolerFixture.await("pg_sleep running in PostgreSQL", AWAIT, () -> !"0".equals(pg.queryValue(
                    "select count(*) from pg_stat_activity where usename = 'md5_user' and state = 'active'"
                            + " and query = 'select pg_sleep(20)::text'")));
            long t0 = System.nanoTime();
            proxy.set(Fault.RESET);
            SQLException e = sleeping.get(10, TimeUnit.SECONDS);
            long failedAfter = millisSince(t0);
            assertTrue(e != null, "the query inside the reset must fail");
            assertPoolerError(e, "server conn crashed?");
            assertTrue(failedAfter < 2_000, "the client learnt of the reset after " + failedAfter + " ms");
            assertTrue(pooler.log().contains("Connection reset by peer"), "a reset, not a close:\n" + pooler.log());
            // The idle server was reset too: the pool drops it without a client having to trip over it.
            PoolerFixture.await("no server left in the pool", AWAIT, () -> serverCount() == 0);

            proxy.set(Fault.PASS);
            long recovered = serveNewClient("served once connections are no longer reset");
            assertEquals("3", single(other, "select 3"), "the idle client gets a new server");
            System.out.printf("[FaultsIT] reset: the client inside the query failed %d ms after the reset; served"
                    + " %d ms after the resets ended%n", failedAfter, recovered);
            assertTrue(recovered < 3_000, "served " + recovered + " ms after the fault");
            awaitSettled(1, 1);
        }
    }

    @Test
    void aHalfOpenServerIsDroppedAtQueryTimeoutAndLaterQueriesWork() throws Exception {
        start(PoolerFixture.settings()
                .set("default_pool_size", "1")
                .set("query_timeout", "1"));
        try (Connection a = connect()) {
            assertEquals("1", single(a, "select 1"));

            proxy.set(Fault.HALF_OPEN);
            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(a, "select 2"));
            long waited = millisSince(t0);
            assertPoolerError(e, "query timeout");
            assertTrue(waited >= 900 && waited < 4_000, "query timeout after " + waited + " ms");
            pooler.awaitLog("S-\\d+: .*closing because: query timeout", AWAIT);
            PoolerFixture.await("the silent server to leave the pool", AWAIT, () -> serverCount() == 0);

            proxy.set(Fault.PASS);
            long recovered = serveNewClient("served once the path is back");
            System.out.printf("[FaultsIT] half-open: query timeout after %d ms; served %d ms after the path came"
                    + " back%n", waited, recovered);
            assertTrue(recovered < 3_000, "served " + recovered + " ms after the fault");
            awaitSettled(0, 1);
            // The held connection's pooler end was closed: once the path is back the proxy sees it and closes it.
            PoolerFixture.await("the proxy to carry only the pool's server", AWAIT, () -> proxy.openCount() == 1);
        }
    }

    @Test
    void aBackendKilledWithSigkillFailsItsClientAndThePoolServesAfterCrashRecovery() throws Exception {
        start(PoolerFixture.settings()
                .set("default_pool_size", "2")
                .set("query_wait_timeout", "20"));
        try (Connection victim = connect(); Connection other = connect()) {
            victim.setAutoCommit(false);
            long pid = Long.parseLong(single(victim, "select pg_backend_pid()"));
            assertEquals("1", single(other, "select 1")); // a second server, idle: PostgreSQL ends it too
            CompletableFuture<SQLException> sleeping = failureOf(victim, "select pg_sleep(20)::text");
            PoolerFixture.await("pg_sleep running in backend " + pid, AWAIT, () -> "active".equals(pg.queryValue(
                    "select coalesce(max(state), 'gone') from pg_stat_activity where pid = " + pid)));

            long t0 = System.nanoTime();
            pg.signalAsOwner(pid, "KILL");
            SQLException e = sleeping.get(10, TimeUnit.SECONDS);
            long failedAfter = millisSince(t0);
            assertTrue(e != null, "the query of the killed backend must fail");
            assertPoolerError(e, "server conn crashed?");
            // The postmaster ends every other backend too: the pool drops its idle server before anyone uses it.
            PoolerFixture.await("the idle server to leave the pool", AWAIT, () -> serverCount() == 0);
            // A client that asks during crash recovery waits for it (not an error): logins that find PostgreSQL
            // in recovery are retried after a short backoff.
            assertEquals("2", single(other, "select 2"), "the other client is served after crash recovery");
            long recovered = millisSince(t0);
            System.out.printf("[FaultsIT] kill -9: the client of the killed backend failed after %d ms; the other"
                    + " client was served %d ms after the kill%n", failedAfter, recovered);
            assertTrue(recovered < 15_000, "served " + recovered + " ms after the kill");
            awaitSettled(1, 1);
        }
    }
}

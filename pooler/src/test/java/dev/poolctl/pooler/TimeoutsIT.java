package dev.poolctl.pooler;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static dev.poolctl.pooler.support.Queries.millisSince;
import static dev.poolctl.pooler.support.Queries.single;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The client and server timeouts, with short values (the settings are seconds and take fractions): each fires
 * with PgBouncer's message (FATAL 08P01, see /tmp/pgbouncer-behaviour.md section 8) within a bounded time, and
 * only for the client concerned. Each test starts its own pooler with its own settings.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = SECONDS)
class TimeoutsIT {
    private static final Duration AWAIT = Duration.ofSeconds(10);

    private static PostgresCluster pg;



    @Test
    void clientLoginTimeoutClosesClientsThatNeverFinishLoggingIn() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("client_login_timeout", "1"));
             RawClient silent = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10));
             RawClient partial = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10));
             RawClient noPassword = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
            long t0 = System.nanoTime();
            // Announces a 100-byte startup packet and sends only its first 8 bytes.
            partial.send(java.nio.ByteBuffer.allocate(8).putInt(100).putInt(196608).array());
            noPassword.send(RawClient.startupPacket(PostgresCluster.MD5_USER, "testdb"));
            RawClient.Message challenge = noPassword.read();
            assertNotNull(challenge);
            assertEquals('R', challenge.type(), challenge.toString());
            for (RawClient c : List.of(silent, partial, noPassword)) {
                RawClient.assertPoolerFatal(c.read(), "client_login_timeout");
                assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "closed after the error");
            }
            long waited = millisSince(t0);
            assertTrue(waited >= 800 && waited < 5_000, "fired after " + waited + " ms");
            try (Connection ok = f.connect()) {
                assertEquals("1", single(ok, "select 1"), "a client that logs in promptly is not affected");
            }
        }
    }

    @Test
    void queryWaitTimeoutFailsTheQueuedClientOnly() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "1")
                .set("query_wait_timeout", "1"));
             Connection a = f.connect();
             Connection b = f.connect()) {
            a.setAutoCommit(false);
            assertEquals("1", single(a, "select 1")); // A holds the only server in a transaction

            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(b, "select 2"));
            long waited = millisSince(t0);
            assertTrue(e.getMessage().contains("query_wait_timeout"), e.getMessage());
            assertEquals("08P01", e.getSQLState(), e.getMessage());
            assertTrue(waited >= 900, "fired after " + waited + " ms, before query_wait_timeout = 1 s");
            assertTrue(waited < 5_000, "fired after " + waited + " ms");
            f.awaitLog("C-\\d+: testdb/md5_user@127\\.0\\.0\\.1:\\d+ closing because: query_wait_timeout", AWAIT);

            assertEquals("3", single(a, "select 3"), "A keeps its server");
            a.commit();
            assertEquals("4", single(a, "select 4"));
        }
    }

    @Test
    void clientIdleTimeoutDisconnectsAnIdleClient() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", "transaction")
                .set("client_idle_timeout", "1"));
             RawClient idle = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
            idle.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
            assertEquals(List.of("1"), RawClient.firstColumn(idle.simpleQuery("select 1")));
            long t0 = System.nanoTime();
            RawClient.Message m = idle.read();
            long waited = millisSince(t0);
            RawClient.assertPoolerFatal(m, "client_idle_timeout");
            assertTrue(waited >= 800 && waited < 5_000, "fired after " + waited + " ms");
            assertTrue(idle.awaitClosed(Duration.ofSeconds(5)), "closed after the error");
            f.awaitLog("closing because: client_idle_timeout", AWAIT);

            // A busy client is not idle: queries every 300 ms for longer than the timeout keep it alive.
            try (Connection busy = f.connect()) {
                long start = System.nanoTime();
                while (millisSince(start) < 2_000) {
                    assertEquals("1", single(busy, "select 1"));
                    Thread.sleep(300); // pacing the client, not waiting for a condition
                }
            }
        }
    }

    @Test
    void idleTransactionTimeoutClosesAClientIdleInsideBegin() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("idle_transaction_timeout", "1"));
             RawClient c = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
            c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
            List<RawClient.Message> begin = c.simpleQuery("BEGIN");
            assertEquals('T', begin.get(begin.size() - 1).txStatus());
            long t0 = System.nanoTime();
            RawClient.Message m = c.read();
            long waited = millisSince(t0);
            RawClient.assertPoolerFatal(m, "idle transaction timeout");
            assertTrue(waited >= 800 && waited < 5_000, "fired after " + waited + " ms");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
            f.awaitLog("S-\\d+: .*closing because: idle transaction timeout", AWAIT);
            PoolerFixture.await("no md5_user backend idle in transaction", AWAIT, () -> "0".equals(pg.queryValue(
                    "select count(*) from pg_stat_activity where usename = 'md5_user' and state like 'idle in transaction%'")));

            // Outside a transaction nothing fires.
            try (Connection ok = f.connect()) {
                assertEquals("1", single(ok, "select 1"));
                ok.setAutoCommit(false);
                assertEquals("2", single(ok, "select 2"));
                ok.commit();
            }
        }
    }

    @Test
    void queryTimeoutStopsALongQuery() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("query_timeout", "1"));
             Connection c = f.connect()) {
            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(c, "select pg_sleep(5)::text"));
            long waited = millisSince(t0);
            assertTrue(e.getMessage().contains("query timeout"), e.getMessage());
            assertTrue(waited >= 900 && waited < 4_000, "fired after " + waited + " ms; pg_sleep(5) would take 5000");
            f.awaitLog("S-\\d+: .*closing because: query timeout", AWAIT);

            try (Connection other = f.connect()) {
                assertEquals("1", single(other, "select 1"), "a fast query is not affected");
            }
        }
    }

    @Test
    void reservePoolServesAQueuedClientAfterReservePoolTimeout() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "1")
                .set("reserve_pool_size", "1")
                .set("reserve_pool_timeout", "0.5"));
             Connection a = f.connect();
             Connection b = f.connect()) {
            a.setAutoCommit(false);
            assertEquals("1", single(a, "select 1")); // A holds the only regular server

            Pool pool = f.pool("testdb", PostgresCluster.MD5_USER);
            assertNotNull(pool, "A's pool exists");
            AtomicInteger maxServers = new AtomicInteger();
            AtomicBoolean watching = new AtomicBoolean(true);
            AtomicReference<Throwable> watchError = new AtomicReference<>();
            Thread watcher = new Thread(() -> {
                try {
                    while (watching.get()) {
                        int n = f.inLoop(pool::serverCount);
                        maxServers.accumulateAndGet(n, Math::max);
                        Thread.sleep(5); // sampling period of the watcher, not a wait for a condition
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                } catch (Throwable t) {
                    watchError.set(t);
                }
            }, "server-count-watcher");
            watcher.setDaemon(true);
            watcher.start();
            try {
                long t0 = System.nanoTime();
                assertEquals("2", single(b, "select 2"), "B is served from the reserve pool");
                long waited = millisSince(t0);
                assertTrue(waited >= 400, "served after " + waited + " ms: the reserve is for clients waiting > 0.5 s");
                assertTrue(waited < 5_000, "served after " + waited + " ms");

                // Again, while A still holds its server: B reuses the reserve server (no third connection).
                assertEquals("3", single(b, "select 3"));
                assertEquals("4", single(a, "select 4"));
                a.commit();
                assertEquals("5", single(b, "select 5"));
            } finally {
                watching.set(false);
                watcher.join(5_000);
            }
            assertEquals(null, watchError.get(), "the server-count watcher failed");
            assertTrue(maxServers.get() <= 2, "servers in the pool peaked at " + maxServers.get());
            assertTrue(maxServers.get() == 2, "the reserve server was opened (peak " + maxServers.get() + ")");
            int backends = Integer.parseInt(pg.queryValue(
                    "select count(*) from pg_stat_activity where usename = 'md5_user' and backend_type = 'client backend'"));
            assertTrue(backends <= 2, backends + " md5_user backends");
        }
    }
}

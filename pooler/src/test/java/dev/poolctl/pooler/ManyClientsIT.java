package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The seed's load test: 1000 concurrent pgjdbc clients through a transaction-mode pool of 20 servers. Every
 * client connects, sleeps 0.1 s on a server, runs a check query and disconnects; all must succeed, the pooler
 * must never hold more than 20 server connections (its own count and PostgreSQL's pg_stat_activity), and
 * clients must have queued (cl_waiting > 0) at some point.
 */
@ExtendWith(PostgresClusterExtension.class)
class ManyClientsIT {
    private static final int CLIENTS = 1000;
    private static final int POOL_SIZE = 20;
    private static final long THREAD_STACK = 256 * 1024;

    private static PostgresCluster pg;

    /** Max values seen by the sampler. */
    private static final class Samples {
        final AtomicInteger samples = new AtomicInteger();
        final AtomicInteger maxServers = new AtomicInteger();
        final AtomicInteger maxBackends = new AtomicInteger();
        final AtomicInteger maxWaiting = new AtomicInteger();
        final AtomicInteger maxClients = new AtomicInteger();
        final Queue<String> errors = new ConcurrentLinkedQueue<>();
    }

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void thousandClientsShareTwentyServers() throws Exception {
        // Backends left by earlier test classes' poolers must be gone, or they would count below.
        PoolerFixture.await("no md5_user backends left from earlier tests", Duration.ofSeconds(20),
                () -> backends() == 0);

        try (PoolerFixture fixture = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", "transaction")
                .set("default_pool_size", Integer.toString(POOL_SIZE))
                .set("max_client_conn", "2000"))) {
            CountDownLatch go = new CountDownLatch(1);
            AtomicInteger succeeded = new AtomicInteger();
            Queue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>(CLIENTS);
            for (int i = 0; i < CLIENTS; i++) {
                int n = i;
                Thread t = new Thread(null, () -> {
                    try {
                        go.await();
                        runClient(fixture, n);
                        succeeded.incrementAndGet();
                    } catch (Throwable e) {
                        failures.add("client " + n + ": " + e);
                    }
                }, "many-client-" + i, THREAD_STACK);
                t.setDaemon(true);
                clients.add(t);
                t.start();
            }

            Samples samples = new Samples();
            AtomicBoolean sampling = new AtomicBoolean(true);
            Thread sampler = new Thread(null, () -> sample(fixture, samples, sampling), "many-sampler", 512 * 1024);
            sampler.setDaemon(true);
            sampler.start();

            long t0 = System.nanoTime();
            go.countDown();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(100);
            for (Thread t : clients) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left > 0) {
                    t.join(left);
                }
            }
            long millis = (System.nanoTime() - t0) / 1_000_000;
            long stillRunning = clients.stream().filter(Thread::isAlive).count();
            // a last sample after the clients are done, then stop sampling
            sampling.set(false);
            sampler.join(10_000);

            System.out.printf("[ManyClientsIT] %d clients in %d ms: %d ok, %d failed, %d still running;"
                            + " samples=%d max servers=%d max backends=%d max cl_waiting=%d max clients=%d%n",
                    CLIENTS, millis, succeeded.get(), failures.size(), stillRunning, samples.samples.get(),
                    samples.maxServers.get(), samples.maxBackends.get(), samples.maxWaiting.get(),
                    samples.maxClients.get());

            assertEquals(0, stillRunning, "clients still running after 100 s");
            assertTrue(failures.isEmpty(), failures.size() + " clients failed, first: "
                    + failures.stream().limit(5).toList());
            assertEquals(CLIENTS, succeeded.get());
            assertTrue(samples.errors.isEmpty(), "sampler errors: " + samples.errors);
            assertTrue(samples.samples.get() > 10, "the sampler ran");
            assertTrue(samples.maxServers.get() <= POOL_SIZE,
                    "pooler held " + samples.maxServers.get() + " server connections, pool size " + POOL_SIZE);
            assertTrue(samples.maxBackends.get() <= POOL_SIZE,
                    "PostgreSQL saw " + samples.maxBackends.get() + " md5_user backends, pool size " + POOL_SIZE);
            assertTrue(samples.maxServers.get() > 1, "more than one server was used");
            assertTrue(samples.maxWaiting.get() > 0, "clients queued for servers (cl_waiting > 0) at some sample");

            // Afterwards: every client gone, the servers still within the limit and reusable.
            Pool pool = fixture.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            assertNotNull(pool);
            PoolerFixture.await("all clients gone from the pool", Duration.ofSeconds(10),
                    () -> fixture.inLoop(pool::clientCount) == 0);
            assertEquals(0, (int) fixture.inLoop(pool::waitingCount));
            assertTrue(fixture.inLoop(pool::serverCount) <= POOL_SIZE);
            try (Connection c = fixture.connect(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
            }
        }
    }

    private static void runClient(PoolerFixture fixture, int n) throws SQLException {
        try (Connection c = fixture.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD,
                "loginTimeout=60", "connectTimeout=30", "socketTimeout=90",
                // every client's PreparedStatement is a named server-side one at once: the pooler maps them
                // all to one shared statement, prepared once per server (max_prepared_statements)
                "prepareThreshold=1")) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_sleep(0.1)")) {
                if (!rs.next()) {
                    throw new AssertionError("no row from pg_sleep");
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::int * 2, current_user, current_database()")) {
                ps.setInt(1, n);
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next() || rs.getInt(1) != n * 2 || !PostgresCluster.MD5_USER.equals(rs.getString(2))
                            || !PostgresCluster.TEST_DB.equals(rs.getString(3))) {
                        throw new AssertionError("wrong check result for client " + n);
                    }
                }
            }
        }
    }

    /** Samples the pool on its event loop and pg_stat_activity until told to stop (then once more). */
    private static void sample(PoolerFixture fixture, Samples s, AtomicBoolean running) {
        try (Connection admin = pg.connect(PostgresCluster.TEST_DB, PostgresCluster.SUPERUSER, null);
             PreparedStatement backends = admin.prepareStatement(
                     "SELECT count(*) FROM pg_stat_activity WHERE usename = ?")) {
            backends.setString(1, PostgresCluster.MD5_USER);
            boolean last = false;
            while (!last) {
                last = !running.get();
                Pool pool = fixture.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
                if (pool != null) {
                    int[] v = fixture.inLoop(() -> new int[] {pool.serverCount(), pool.waitingCount(), pool.clientCount()});
                    s.maxServers.accumulateAndGet(v[0], Math::max);
                    s.maxWaiting.accumulateAndGet(v[1], Math::max);
                    s.maxClients.accumulateAndGet(v[2], Math::max);
                }
                try (ResultSet rs = backends.executeQuery()) {
                    rs.next();
                    s.maxBackends.accumulateAndGet(rs.getInt(1), Math::max);
                }
                s.samples.incrementAndGet();
                if (!last) {
                    Thread.sleep(10); // sampling interval, not a wait for a condition
                }
            }
        } catch (Throwable e) {
            s.errors.add(e.toString());
        }
    }

    private static int backends() {
        return Integer.parseInt(pg.queryValue(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '" + PostgresCluster.MD5_USER + "'"));
    }
}

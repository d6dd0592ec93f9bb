package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Server host names are resolved off the event loop: a slow lookup holds only the clients of that database, a name
 * that does not resolve is logged with PgBouncer's close reason while its client waits for the next attempt (until
 * client_login_timeout), a failed connect makes the next login look the name up again,
 * and a lookup that hangs is given up. {@code localhost} goes through the system resolver (answered from /etc/hosts);
 * the other names are answered by a stub in place of the system resolver, so no DNS query leaves the machine.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DnsIT {
    private static PostgresCluster pg;
    private PoolerFixture pooler;
    private final CountDownLatch slowAnswers = new CountDownLatch(1);
    private final CountDownLatch hungLookupEnds = new CountDownLatch(1);
    private final AtomicInteger failoverLookups = new AtomicInteger();
    private final AtomicInteger hangLookups = new AtomicInteger();

    @BeforeEach
    void start() {
        pooler = PoolerFixture.start(pg, settings());
    }

    private static PoolerFixture.Settings settings() {
        return PoolerFixture.settings()
                .database("bylocalhost", "host=localhost port=${port} dbname=testdb")
                .database("slowdb", "host=slow.test port=${port} dbname=testdb")
                .database("nxdb", "host=nosuchhost.invalid port=${port} dbname=testdb")
                .database("failoverdb", "host=failover.test port=${port} dbname=testdb")
                .database("hangdb", "host=hang.test port=${port} dbname=testdb")
                // Far above every wait below: a name looked up again before it is not waiting out its TTL.
                .set("dns_max_ttl", "60");
    }

    private void stubResolver() {
        pooler.daemon().lookup(host -> switch (host) {
            case "slow.test" -> {
                try {
                    slowAnswers.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new UnknownHostException("interrupted");
                }
                yield new InetAddress[] {InetAddress.getLoopbackAddress()};
            }
            case "nosuchhost.invalid" -> throw new UnknownHostException(host);
            // First the old primary, where nothing listens (PostgreSQL listens on 127.0.0.1 only), then the new one.
            case "failover.test" -> new InetAddress[] {InetAddress.getByName(
                    failoverLookups.getAndIncrement() == 0 ? "127.0.0.3" : PostgresCluster.HOST)};
            case "hang.test" -> {
                if (hangLookups.getAndIncrement() == 0) {
                    hangUninterruptibly(); // as getaddrinfo stuck in the C library: nothing ends it
                }
                yield new InetAddress[] {InetAddress.getByName(PostgresCluster.HOST)};
            }
            default -> throw new AssertionError("no other name is looked up: " + host);
        });
    }

    private void hangUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                hungLookupEnds.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    @AfterEach
    void stop() {
        slowAnswers.countDown();
        hungLookupEnds.countDown();
        pooler.close();
    }

    private int selectOne(String db) throws SQLException {
        try (Connection c = pooler.connect(db, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }

    @Test
    void localhostIsResolvedThroughTheSystemResolver() throws Exception {
        assertEquals(1, selectOne("bylocalhost"));
        assertEquals(1, selectOne("bylocalhost"));
    }

    /** The CancelRequest goes on a new connection to the server's address, by name too. */
    @Test
    void aCancelReachesAServerNamedByHostName() throws Exception {
        try (Connection c = pooler.connect("bylocalhost", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
             Statement st = c.createStatement()) {
            CompletableFuture<SQLException> sleeping =
                    dev.poolctl.pooler.support.Queries.running(st, pg, "SELECT pg_sleep(30)");
            st.cancel();
            SQLException e = sleeping.get(10, TimeUnit.SECONDS);
            assertTrue(e != null && e.getMessage().contains("canceling statement due to user request"), String.valueOf(e));
        }
    }

    @Test
    void aSlowLookupHoldsOnlyItsOwnDatabasesClients() throws Exception {
        stubResolver();
        selectOne(PostgresCluster.TEST_DB); // warm
        CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return selectOne("slowdb");
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        PoolerFixture.await("the slowdb login to wait for its server", java.time.Duration.ofSeconds(10),
                () -> pooler.pool("slowdb", PostgresCluster.MD5_USER) != null);
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            assertEquals(1, selectOne(PostgresCluster.TEST_DB));
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertTrue(millis < 5_000, "another database's client answered in " + millis + " ms during the lookup");
        }
        assertFalse(waiting.isDone(), "slowdb's client waits for the lookup");
        slowAnswers.countDown();
        assertEquals(1, waiting.get(20, TimeUnit.SECONDS));
    }

    /**
     * As PgBouncer: the client waiting for the pool's first login is not failed by a lookup that fails (the pool
     * tries again); it waits until client_login_timeout, while the log has PgBouncer's close reason.
     */
    @Test
    void aNameThatDoesNotResolveGivesPgBouncersErrorAndOthersGoOn() throws Exception {
        pooler.close();
        pooler = PoolerFixture.start(pg, settings().set("client_login_timeout", "2"));
        stubResolver();
        long t0 = System.nanoTime();
        SQLException e = assertThrows(SQLException.class, () -> selectOne("nxdb"));
        assertTrue(e.getMessage().contains("client_login_timeout (server down)"), e.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) >= 1_900, "it waited for the next attempts");
        assertEquals(1, selectOne(PostgresCluster.TEST_DB));
        pooler.awaitLog("DNS lookup failed: nosuchhost.invalid", java.time.Duration.ofSeconds(10));
        // PgBouncer's close reason, which its suite (test_load_balance_hosts) looks for
        pooler.awaitLog("closing because: server DNS lookup failed \\(age=", java.time.Duration.ofSeconds(10));
    }

    /**
     * The name still points at the old primary in the cache (dns_max_ttl 60 s) while DNS already names the new one:
     * the failed connect drops the cached answer and the next login goes to the new address, not a minute later.
     */
    @Test
    void aFailedConnectLooksTheNameUpAgainLongBeforeDnsMaxTtl() throws Exception {
        stubResolver();
        long t0 = System.nanoTime();
        // The pool's first login fails to connect; as in PgBouncer its client waits for the next attempt, which
        // looks the name up again and gets in.
        assertEquals(1, selectOne("failoverdb"));
        pooler.awaitLog("failoverdb.*server login failed: server connection failed", Duration.ofSeconds(10));
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertTrue(seconds < 15, "took " + seconds + " s");
        assertEquals(2, failoverLookups.get(), "one lookup for the failed connect, none for the working ones");
    }

    /**
     * PgBouncer's issue 1583: a lookup that never returns was joined by every later lookup of its name, forever. Here
     * it is given up after server_connect_timeout and the next login looks the name up afresh.
     */
    @Test
    void aHungLookupIsGivenUpAndTheNextLoginLooksTheNameUpAgain() throws Exception {
        pooler.close();
        pooler = PoolerFixture.start(pg, settings().set("server_connect_timeout", "2"));
        stubResolver();
        long t0 = System.nanoTime();
        // The first login ends one of two ways, by which timer runs first at 2 s: the lookup's (this login fails
        // with the DNS error) or the janitor's connect timeout (the next attempt's fresh lookup lets it in).
        try {
            assertEquals(1, selectOne("hangdb"));
        } catch (SQLException e) {
            assertTrue(e.getMessage().contains("server DNS lookup failed: hang.test"), e.getMessage());
            pooler.awaitLog("DNS lookup failed: hang.test: timed out after 2000 ms", Duration.ofSeconds(10));
        }
        long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
        assertTrue(seconds < 10, "the first login took " + seconds + " s");
        PoolerFixture.await("a login after the hung lookup", Duration.ofSeconds(10), () -> {
            try {
                return selectOne("hangdb") == 1;
            } catch (SQLException notYet) {
                return false; // the cached DNS error until the next attempt
            }
        });
        assertEquals(2, hangLookups.get(), "one hung lookup, one fresh one");
        assertEquals(1, selectOne(PostgresCluster.TEST_DB));
    }
}

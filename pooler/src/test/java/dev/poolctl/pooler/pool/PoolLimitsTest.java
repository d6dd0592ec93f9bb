package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** pool_size, reserve_pool_size, max_db_connections, max_user_connections and max_client_conn. */
class PoolLimitsTest {
    private static final String EVICTED = "evicted for another pool (max_db_connections/max_user_connections)";
    private static final String TWO_DBS = "db = host=127.0.0.1 port=5432\ndb2 = host=127.0.0.1 port=5432";

    // ---- reserve pool ----

    @Test
    void theReservePoolOpensOnlyOnceTheFirstWaiterHasWaitedLongerThanTheTimeout() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nreserve_pool_size = 2\n"
                + "reserve_pool_timeout = 5");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        h.serve(a);
        FakeClient w1 = h.idleClient(pool);
        FakeClient w2 = h.idleClient(pool);
        FakeClient w3 = h.idleClient(pool);
        h.request(w1);
        h.request(w2);
        h.request(w3);
        assertEquals(1, h.launcher.countFor(pool), "pool_size reached: the clients queue");
        h.clock.advance(Duration.ofSeconds(3));
        h.janitor();
        assertEquals(1, h.launcher.countFor(pool), "waited 3 s < reserve_pool_timeout");

        h.clock.advance(Duration.ofMillis(2_500));
        h.janitor();
        assertEquals(3, h.launcher.countFor(pool), "waited 5.5 s: the reserve pool, and no more than it");
        h.loginAll(pool);
        assertEquals(ClientState.ACTIVE, w1.state(), "the reserve servers go to the queue in order");
        assertEquals(ClientState.ACTIVE, w2.state());
        assertEquals(ClientState.WAITING, w3.state());

        h.clock.advance(Duration.ofSeconds(30));
        h.janitor();
        assertEquals(3, h.launcher.countFor(pool), "never more than pool_size + reserve_pool_size");
        assertEquals(3, pool.serverCount());
    }

    @Test
    void theReserveTimerIsTheFirstWaitersNotTheOldestServedOnes() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nreserve_pool_size = 1\n"
                + "reserve_pool_timeout = 5");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient w1 = h.idleClient(pool);
        FakeClient w2 = h.idleClient(pool);
        PoolServer s = h.serve(a);
        h.request(w1);
        h.clock.advance(Duration.ofSeconds(3));
        h.request(w2);
        h.clock.advance(Duration.ofMillis(1_500));
        h.finish(s);
        assertSame(s, w1.server);
        h.clock.advance(Duration.ofSeconds(1));
        h.janitor();
        assertEquals(1, h.launcher.countFor(pool), "w1 waited 4.5 s and was served; w2, first now, waited 2.5 s");
        h.clock.advance(Duration.ofSeconds(3));
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "w2 has waited 5.5 s");
    }

    @Test
    void withoutAReservePoolTheQueueJustWaits() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nquery_wait_timeout = 0");
        Pool pool = h.pool();
        h.serve(h.idleClient(pool));
        h.request(h.idleClient(pool));
        h.clock.advance(Duration.ofSeconds(100));
        h.janitor();
        assertEquals(1, h.launcher.countFor(pool));
    }

    @Test
    void reservePoolTimeoutZeroDisablesTheReservePool() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nreserve_pool_size = 2\n"
                + "reserve_pool_timeout = 0\nquery_wait_timeout = 0");
        Pool pool = h.pool();
        h.serve(h.idleClient(pool));
        h.request(h.idleClient(pool));
        h.clock.advance(Duration.ofSeconds(100));
        h.janitor();
        assertEquals(1, h.launcher.countFor(pool));
    }

    // ---- max_db_connections / max_user_connections ----

    @Test
    void maxDbConnectionsHoldsAcrossPoolsAndAnIdleServerOfTheSameDatabaseIsEvictedForWaiters() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 5\n"
                + "max_db_connections = 2", TWO_DBS);
        Pool other = h.pool("db2", "x"); // another database and user: never evicted for db's pools
        FakeServer otherServer = (FakeServer) h.serve(h.idleClient(other));
        h.finish(otherServer);
        Pool a = h.pool("db", "u");
        Pool b = h.pool("db", "v");
        FakeClient ua1 = h.idleClient(a);
        FakeClient ua2 = h.idleClient(a);
        h.serve(ua1);
        FakeServer sa2 = (FakeServer) h.serve(ua2);
        assertEquals(2, a.serverCount());

        FakeClient vb = h.login(b);
        assertEquals(ClientState.LOGIN_WAIT, vb.state());
        assertEquals(0, h.launcher.countFor(b), "db is at max_db_connections and nothing is idle");
        h.janitor();
        assertEquals(0, h.launcher.countFor(b));

        h.finish(sa2);
        assertEquals(1, a.idleCount());
        h.janitor();
        assertEquals(ServerState.CLOSED, sa2.state(), "a's idle server makes room for b's waiting client");
        assertEquals(EVICTED, sa2.closeReason);
        assertEquals(1, h.launcher.countFor(b));
        assertEquals(ServerState.IDLE, otherServer.state(), "db2's server does not count and is left alone");
        assertEquals(2, a.serverCount() + b.serverCount());
        h.loginAll(b);
        assertEquals(ClientState.IDLE, vb.state());
    }

    @Test
    void evictionOnlyClosesServersThatCountAgainstTheFullLimit() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 5\n"
                + "max_db_connections = 1", TWO_DBS);
        Pool sameUser = h.pool("db2", "v"); // same user as b, other database: its servers do not count for db
        FakeServer sameUserServer = (FakeServer) h.serve(h.idleClient(sameUser));
        h.finish(sameUserServer);
        Pool a = h.pool("db", "u");
        Pool b = h.pool("db", "v");
        h.serve(h.idleClient(a));
        FakeClient vb = h.login(b);
        h.janitor();
        assertEquals(ClientState.LOGIN_WAIT, vb.state());
        assertEquals(0, h.launcher.countFor(b));
        assertEquals(ServerState.IDLE, sameUserServer.state(), "closing it would not make room in db");
        assertNull(sameUserServer.closeReason);
    }

    @Test
    void aQueuedClientEvictsAnotherPoolsIdleServerButMinPoolSizeNeverDoes() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 5\nmax_db_connections = 2\n"
                + "min_pool_size = 1");
        Pool a = h.pool("db", "u");
        Pool b = h.pool("db", "v");
        FakeClient vb = h.idleClient(b);
        FakeServer sb = h.launcher.lastFor(b);
        FakeClient ua1 = h.idleClient(a);
        FakeClient ua2 = h.idleClient(a);
        FakeServer sa1 = (FakeServer) h.serve(ua1);
        assertNull(h.request(ua2));
        assertEquals(EVICTED, sb.closeReason, "ua2 queued at the limit: b's idle server is closed for it");
        FakeServer sa2 = h.launcher.lastFor(a);
        assertEquals(ServerState.LOGIN, sa2.state());
        h.loginAll(a);
        assertSame(sa2, ua2.server);
        h.finish(sa1);
        h.finish(sa2);

        h.janitor();
        assertEquals(0, b.serverCount(), "b is below min_pool_size, but only a client waiting may evict");
        assertEquals(2, a.idleCount());
        assertEquals(ClientState.IDLE, vb.state());

        sa1.crash();
        h.janitor();
        assertEquals(1, b.serverCount(), "room again: min_pool_size is met");
    }

    @Test
    void maxUserConnectionsHoldsAcrossDatabases() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 5\n"
                + "max_user_connections = 1", TWO_DBS);
        Pool a = h.pool("db", "u");
        Pool b = h.pool("db2", "u");
        FakeClient ua = h.idleClient(a);
        FakeServer sa = (FakeServer) h.serve(ua);
        FakeClient ub = h.login(b);
        h.janitor();
        assertEquals(0, h.launcher.countFor(b), "user u is at max_user_connections");
        assertEquals(ClientState.LOGIN_WAIT, ub.state());

        h.finish(sa);
        h.janitor();
        assertEquals(EVICTED, sa.closeReason, "the same user's idle server in db makes room");
        assertEquals(1, h.launcher.countFor(b));
        assertEquals(1, a.serverCount() + b.serverCount());
    }

    @Test
    void maxDbConnectionsAlsoLimitsASinglePoolBelowItsPoolSize() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 5\nmax_db_connections = 2");
        Pool pool = h.pool();
        for (int i = 0; i < 4; i++) {
            h.request(h.idleClient(pool));
        }
        h.loginAll(pool);
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool));
        assertEquals(2, pool.waitingCount());
    }

    // ---- max_client_conn ----

    @Test
    void maxClientConnRefusesPastItAndAClosedClientFreesItsSlot() {
        PoolHarness h = new PoolHarness("max_client_conn = 2");
        Pool pool = h.pool();
        FakeClient c1 = h.idleClient(pool);
        FakeClient c2 = h.login(pool);
        assertEquals(2, h.manager.clientCount());
        assertFalse(h.manager.overMaxClientConn());
        // A third socket is counted (it may be a CancelRequest or a console login, which PgBouncer lets in), and
        // its StartupMessage for a pool is over the limit; once refused and closed, its count is given back.
        FakeClient refused = new FakeClient(100, h.clock.nanoTime());
        assertTrue(h.manager.admitClient(refused));
        assertEquals(3, h.manager.clientCount());
        assertTrue(h.manager.overMaxClientConn());
        h.manager.clientClosed(refused, true, null);
        assertEquals(2, h.manager.clientCount());
        assertThrows(IllegalStateException.class, () -> h.login(pool));

        h.disconnect(c1);
        assertEquals(1, h.manager.clientCount());
        assertEquals(ClientState.CLOSED, c1.state());
        FakeClient c3 = h.login(pool);
        assertEquals(2, h.manager.clientCount());
        assertEquals(2, pool.clientCount());
        assertTrue(pool.clients().contains(c2) && pool.clients().contains(c3));

        FakeClient loggingIn = new FakeClient(101, h.clock.nanoTime());
        h.disconnect(c3);
        assertTrue(h.manager.admitClient(loggingIn));
        assertEquals(1, h.manager.loginClientCount());
        assertFalse(h.manager.overMaxClientConn());
        FakeClient another = new FakeClient(102, h.clock.nanoTime());
        assertTrue(h.manager.admitClient(another));
        assertTrue(h.manager.overMaxClientConn(), "a client still logging in counts too");
        h.manager.clientClosed(another, true, null);
        h.manager.clientClosed(loggingIn, true, null);
        assertEquals(0, h.manager.loginClientCount());
        assertEquals(1, h.manager.clientCount());
    }

    @Test
    void noClientIsAdmittedWhileShuttingDown() {
        PoolHarness h = new PoolHarness("");
        h.manager.shutdown("test");
        assertFalse(h.manager.admitClient(new FakeClient(1, h.clock.nanoTime())));
        assertEquals(0, h.manager.clientCount());
    }
}

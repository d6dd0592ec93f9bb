package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Who gets which server: the queue's order and the order idle servers are reused in. */
class PoolQueueTest {

    @Test
    void waitersStayInArrivalOrderWhenAServerClosesMidQueue() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        FakeClient w1 = h.idleClient(pool);
        FakeClient w2 = h.idleClient(pool);
        FakeClient w3 = h.idleClient(pool);
        FakeServer s1 = (FakeServer) h.serve(a);
        FakeServer s2 = (FakeServer) h.serve(b);
        assertNull(h.request(w1));
        assertNull(h.request(w2));
        assertNull(h.request(w3));
        assertEquals(2, h.launcher.countFor(pool), "pool_size 2: nothing more is launched for the queue");
        assertEquals(3, pool.waitingCount());

        s1.crash();
        assertEquals("server conn crashed?", a.failure, "the crashed server's client is told");
        h.disconnect(a);
        assertEquals(3, h.launcher.countFor(pool), "a replacement is launched for the queue at once");
        FakeServer s3 = h.launcher.lastFor(pool);

        h.finish(s2);
        assertSame(s2, w1.server, "the first waiter gets the first free server");
        assertEquals(ClientState.WAITING, w2.state());
        h.loginAll(pool);
        assertSame(s3, w2.server, "the second waiter gets the replacement");
        assertEquals(ClientState.WAITING, w3.state());
        h.finish(s2);
        assertSame(s2, w3.server, "the third one comes last");
        assertEquals(0, pool.waitingCount());
        assertEquals(ClientState.IDLE, w1.state());
    }

    /** Three servers released in the order s1, s2, s3: the pool's idle list is then s3, s2, s1. */
    private static List<FakeServer> threeReleased(PoolHarness h, Pool pool) {
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        FakeClient c = h.idleClient(pool);
        FakeServer s1 = (FakeServer) h.serve(a);
        FakeServer s2 = (FakeServer) h.serve(b);
        FakeServer s3 = (FakeServer) h.serve(c);
        h.finish(s1);
        h.finish(s2);
        h.finish(s3);
        assertEquals(3, pool.idleCount());
        return List.of(s1, s2, s3);
    }

    @Test
    void byDefaultTheMostRecentlyReleasedServerIsReusedFirst() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 3");
        Pool pool = h.pool();
        List<FakeServer> s = threeReleased(h, pool);
        assertSame(s.get(2), h.serve(h.idleClient(pool)), "LIFO: the last released, so few servers do the work");
        assertSame(s.get(1), h.serve(h.idleClient(pool)));
        assertSame(s.get(0), h.serve(h.idleClient(pool)));
    }

    @Test
    void serverRoundRobinReusesTheLeastRecentlyReleasedServer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 3\nserver_round_robin = 1");
        Pool pool = h.pool();
        List<FakeServer> s = threeReleased(h, pool);
        FakeClient c = h.idleClient(pool);
        assertSame(s.get(0), h.serve(c), "round robin: the one idle longest");
        assertSame(s.get(1), h.serve(h.idleClient(pool)));
        h.finish(s.get(0));
        assertSame(s.get(2), h.serve(h.idleClient(pool)), "a server just released goes to the back of the line");
        assertSame(s.get(0), h.serve(h.idleClient(pool)));
    }

    @Test
    void aCheckedServerGoesToTheFirstWaiterNotToANewcomer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nserver_check_delay = 10");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        h.finish(s);
        h.clock.advance(Duration.ofSeconds(11));

        FakeClient w = h.idleClient(pool);
        assertNull(h.request(w), "idle past server_check_delay: checked before use, the client waits");
        assertEquals(ServerState.TESTED, s.state());
        assertEquals(List.of(""), s.internalQueries, "server_check_query's default: an empty query");
        assertEquals(1, h.launcher.countFor(pool), "the server being tested counts: no extra launch");
        FakeClient newcomer = h.idleClient(pool);
        assertNull(h.request(newcomer), "the fast path never overtakes a queued client");

        pool.internalQueryDone(s);
        assertSame(s, w.server, "proven alive: straight to the first waiter");
        assertEquals(ServerState.ACTIVE, s.state());
        assertEquals(ClientState.WAITING, newcomer.state());
        h.finish(s);
        assertSame(s, newcomer.server, "used within server_check_delay: no second check");
        assertEquals(1, s.internalQueries.size());
    }

    @Test
    void withCheckDelayZeroAServerFreshFromItsLoginIsNotCheckedAReleasedOneIs() {
        // PgBouncer hands a server that just logged in to the client unchecked (release_server from SV_LOGIN); its
        // suite's test_server_check_query_default_negative counts the check queries PostgreSQL logs.
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nserver_check_delay = 0");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        h.clock.advance(Duration.ofMillis(10));
        FakeServer s = (FakeServer) h.request(a);
        assertNotNull(s, "the idle server from the login is handed out at once");
        assertEquals(List.of(), s.internalQueries, "its login proved it alive: no check");
        h.clock.advance(Duration.ofMillis(10));
        h.finish(s);
        h.clock.advance(Duration.ofMillis(10));
        assertNull(h.request(a), "released: checked before its next use");
        assertEquals(List.of(""), s.internalQueries);
    }

    @Test
    void aServerIdleSinceItsLoginIsCheckedOnceTheJanitorWouldHaveSeenIt() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nserver_check_delay = 0");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        h.clock.advance(Duration.ofSeconds(1));
        assertNull(h.request(a), "idle for a second: PgBouncer's janitor (every 1/3 s) would have tested it");
        assertEquals(List.of(""), h.launcher.lastFor(pool).internalQueries);
    }

    @Test
    void anEmptyServerCheckQueryDisablesTheCheck() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nserver_check_delay = 10\n"
                + "server_check_query =");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        h.finish(s);
        h.clock.advance(Duration.ofSeconds(11));
        assertSame(s, h.request(a), "no check: handed out at once");
        assertEquals(List.of(), s.internalQueries);
    }

    @Test
    void queuedClientsGetAReplacementAtOnceWhenTheReleasedServerIsClosed() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nserver_lifetime = 60");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient w = h.idleClient(pool);
        FakeServer s1 = (FakeServer) h.serve(a);
        assertNull(h.request(w));
        h.clock.advance(Duration.ofSeconds(61));
        h.finish(s1);
        assertEquals("server lifetime over", s1.closeReason);
        assertEquals(2, h.launcher.countFor(pool), "a replacement for the waiter, without waiting for the janitor");

        FakeServer s2 = h.launcher.lastFor(pool);
        h.loginAll(pool);
        assertSame(s2, w.server);
        FakeClient w2 = h.idleClient(pool);
        assertNull(h.request(w2));
        s2.txStatus = 'T';
        h.disconnect(w); // mid-transaction: s2 is closed, never reused
        assertEquals(ServerState.CLOSED, s2.state());
        assertEquals(3, h.launcher.countFor(pool), "again a replacement for the waiter at once");
    }
}

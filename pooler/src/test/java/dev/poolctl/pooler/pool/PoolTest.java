package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Pool logic without sockets or PostgreSQL: the harness plays the server's part, the clock moves by hand. */
class PoolTest {

    @Test
    void queuedClientsGetServersInArrivalOrder() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        List<FakeClient> clients = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            clients.add(h.idleClient(pool));
        }
        PoolServer s = h.request(clients.get(0));
        assertNotNull(s, "the first request takes the idle server at once");
        for (int i = 1; i < 4; i++) {
            assertNull(h.request(clients.get(i)), "pool_size 1: the others queue");
        }
        assertEquals(3, pool.waitingCount());
        for (int i = 1; i < 4; i++) {
            h.finish(s);
            assertSame(s, clients.get(i).server, "client " + i + " is served next (FIFO)");
            assertEquals(ClientState.ACTIVE, clients.get(i).state());
            assertEquals(ClientState.IDLE, clients.get(i - 1).state());
        }
        assertEquals(1, h.launcher.countFor(pool), "one server for all of them");
    }

    @Test
    void serverLifetimeClosesAReleasedServerAndANewOneIsOpened() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_lifetime = 60");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        PoolServer first = h.request(c);
        h.clock.advance(Duration.ofSeconds(61));
        h.finish(first);
        assertEquals(ServerState.CLOSED, first.state(), "released past server_lifetime: closed, not idled");
        assertEquals("server lifetime over", ((FakeServer) first).closeReason);
        assertNull(h.request(c), "no idle server: the client queues");
        FakeServer second = h.launcher.lastFor(pool);
        assertTrue(second != first && second.state() == ServerState.LOGIN, "a new server is launched for it");
        h.loginAll(pool);
        assertSame(second, c.server);
    }

    @Test
    void serverLifetimeZeroUsesEachServerOnce() {
        // PgBouncer's config.md: "Setting it to 0 means the connection is to be used only once, then closed."
        PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_lifetime = 0");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer first = (FakeServer) h.request(c);
        assertSame(first, c.server, "a freshly logged-in server serves the client: its one use");
        h.clock.advance(Duration.ofMillis(5));
        h.finish(first);
        assertEquals(ServerState.CLOSED, first.state(), "used once: closed at release, not idled");
        assertEquals("server lifetime over", first.closeReason);
        assertNull(h.request(c), "the next transaction waits for a new server");
        assertTrue(h.launcher.lastFor(pool) != first);
    }

    @Test
    void queryWaitTimeoutFailsOnlyClientsQueuedTooLong() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nquery_wait_timeout = 5");
        Pool pool = h.pool();
        FakeClient holder = h.idleClient(pool);
        FakeClient early = h.idleClient(pool);
        FakeClient late = h.idleClient(pool);
        h.request(holder);
        h.request(early);
        h.clock.advance(Duration.ofSeconds(3));
        h.request(late);
        h.clock.advance(Duration.ofMillis(2_500));
        h.manager.janitor();
        assertEquals("query_wait_timeout", early.failure, "queued 5.5 s");
        assertNull(late.failure, "queued 2.5 s");
        assertNull(holder.failure);
    }
}

package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A drain on one loop's pools, on the hand-moved clock: each client is closed at its next transaction boundary, or
 * once it has idled for a second; a client younger than a second keeps its first transactions (a driver's setup
 * query, then what it came for), as a client that logs in during drain_accept_grace does.
 */
class PoolDrainTest {
    private static final String MESSAGE = "pooler is draining: reconnect";

    private static void drain(PoolHarness h) {
        h.manager.stopping().drain(h.manager.pools(), MESSAGE, h.clock.nanoTime());
    }

    @Test
    void aClientConnectedBeforeTheDrainIsClosedWhenItsTransactionEnds() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeClient inTx = h.idleClient(pool);
        FakeClient idle = h.idleClient(pool);
        h.clock.advance(Duration.ofSeconds(5));
        FakeServer s = (FakeServer) h.serve(inTx);
        drain(h);
        assertEquals(MESSAGE, idle.failure, "idle for over a second: closed at once");
        assertNull(inTx.failure, "in its transaction: left alone");
        h.finish(s);
        assertEquals(MESSAGE, inTx.failure, "closed at its boundary");
    }

    @Test
    void aClientThatLogsInDuringTheDrainKeepsItsFirstSecondThenGoesAtItsNextBoundary() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        h.idleClient(pool); // the pool's server is logged in
        drain(h);
        FakeClient late = h.idleClient(pool);
        h.finish(h.serve(late)); // pgjdbc's SET extra_float_digits right after login
        assertNull(late.failure, "its setup query is not the transaction it came for");
        h.clock.advance(Duration.ofMillis(500));
        h.janitor();
        h.finish(h.serve(late));
        assertNull(late.failure, "younger than a second: still served");
        h.clock.advance(Duration.ofMillis(600));
        FakeServer s = (FakeServer) h.serve(late);
        assertNull(late.failure, "a transaction under way is never cut");
        h.finish(s);
        assertEquals(MESSAGE, late.failure, "a second old: closed at this boundary");
    }

    @Test
    void aClientThatLogsInDuringTheDrainAndStaysIdleIsClosedAfterASecond() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        h.idleClient(pool);
        drain(h);
        FakeClient quiet = h.idleClient(pool);
        h.clock.advance(Duration.ofMillis(900));
        h.janitor();
        assertNull(quiet.failure, "it may be about to send its first query");
        h.clock.advance(Duration.ofMillis(200));
        h.janitor();
        assertEquals(MESSAGE, quiet.failure);
        assertEquals(ClientState.CLOSED, quiet.state());
    }
}

package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a server goes back to the pool in session, transaction and statement mode, and in what state. */
class PoolModesTest {

    @Test
    void sessionModeReleasesOnlyAtDisconnectAfterServerResetQuery() {
        PoolHarness h = new PoolHarness("pool_mode = session\ndefault_pool_size = 1");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        h.finish(s);
        assertEquals(ServerState.ACTIVE, s.state(), "ReadyForQuery does not release in session mode");
        assertSame(s, a.server);
        FakeClient w = h.idleClient(pool);
        assertNull(h.request(w));

        h.disconnect(a);
        assertEquals(ServerState.USED, s.state(), "sv_used while the reset runs");
        assertEquals(List.of("DISCARD ALL"), s.internalQueries);
        assertEquals(ClientState.WAITING, w.state(), "not handed out before the reset is done");
        assertEquals(1, pool.usedCount());
        assertEquals(1, h.launcher.countFor(pool), "the server being reset counts for the waiter: no launch");

        pool.internalQueryDone(s);
        assertSame(s, w.server, "reset done: idle, and straight to the waiter");
        assertEquals(ServerState.ACTIVE, s.state());
        h.disconnect(w);
        pool.internalQueryDone(s);
        assertEquals(ServerState.IDLE, s.state());
        assertEquals(2, s.internalQueries.size(), "a reset after every session");
    }

    @Test
    void aFailedResetClosesTheServer() {
        PoolHarness h = new PoolHarness("pool_mode = session");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        h.disconnect(a);
        s.txStatus = 'E';
        pool.internalQueryDone(s);
        assertEquals("reset or check query failed", s.closeReason);
        assertEquals(0, pool.serverCount());
    }

    @Test
    void anEmptyServerResetQueryReleasesAtOnce() {
        PoolHarness h = new PoolHarness("pool_mode = session\nserver_reset_query =");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        h.disconnect(a);
        assertEquals(ServerState.IDLE, s.state());
        assertEquals(List.of(), s.internalQueries);
    }

    @Test
    void transactionModeReleasesAtReadyForQueryWithoutResetUnlessAlways() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        h.finish(s);
        assertEquals(ServerState.IDLE, s.state());
        assertEquals(ClientState.IDLE, a.state());
        assertEquals(1, a.releases);
        h.serve(a);
        h.finish(s);
        h.disconnect(a);
        assertEquals(ServerState.IDLE, s.state());
        assertEquals(List.of(), s.internalQueries, "server_reset_query is for session mode only");

        PoolHarness always = new PoolHarness("pool_mode = transaction\nserver_reset_query_always = 1");
        Pool p = always.pool();
        FakeClient b = always.idleClient(p);
        FakeServer t = (FakeServer) always.serve(b);
        always.finish(t);
        assertEquals(ServerState.IDLE, t.state(), "not at each transaction...");
        always.serve(b);
        always.disconnect(b);
        assertEquals(ServerState.USED, t.state(), "...but when the client leaves");
        assertEquals(List.of("DISCARD ALL"), t.internalQueries);
    }

    @Test
    void aServerIsReleasableOnlyWhenQuietAndOutsideATransaction() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeServer s = (FakeServer) h.serve(h.idleClient(pool));
        s.txStatus = 'T';
        assertFalse(pool.releasableAt(s), "in a transaction");
        s.txStatus = 'E';
        assertFalse(pool.releasableAt(s), "in a failed transaction");
        s.txStatus = 'I';
        s.pending = 1;
        assertFalse(pool.releasableAt(s), "a pipelined request still owes a ReadyForQuery");
        s.pending = 0;
        assertTrue(pool.releasableAt(s));
    }

    @Test
    void aClientGoneMidTransactionTakesItsServerWithIt() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer inTx = (FakeServer) h.serve(a);
        inTx.txStatus = 'T';
        h.disconnect(a);
        assertEquals(ServerState.CLOSED, inTx.state());
        assertEquals("client disconnect while server was not ready", inTx.closeReason);

        FakeClient b = h.idleClient(pool);
        FakeServer busy = (FakeServer) h.serve(b);
        assertNotSame(inTx, busy, "never reused");
        busy.pending = 2; // outside a transaction, but requests in flight
        h.disconnect(b);
        assertEquals(ServerState.CLOSED, busy.state());

        FakeClient c = h.idleClient(pool);
        FakeServer fresh = (FakeServer) h.serve(c);
        assertEquals(3, h.launcher.countFor(pool));
        h.disconnect(c); // quiet: kept
        assertEquals(ServerState.IDLE, fresh.state());
    }

    @Test
    void statementModeRefusesTransactions() {
        PoolHarness h = new PoolHarness("pool_mode = statement");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        assertFalse(pool.refusesTransaction(s), "a single statement is fine");
        assertTrue(pool.releasableAt(s), "and released at its ReadyForQuery");
        s.txStatus = 'T';
        assertTrue(pool.refusesTransaction(s));

        pool.statementModeViolation(s);
        assertEquals("transaction blocks not allowed in statement pooling mode", s.closeReason);
        assertEquals("transaction blocks not allowed in statement pooling mode", a.failure);
        assertEquals(0, pool.serverCount());

        PoolHarness tx = new PoolHarness("pool_mode = transaction");
        FakeServer t = (FakeServer) tx.serve(tx.idleClient(tx.pool()));
        t.txStatus = 'T';
        assertFalse(tx.pool().refusesTransaction(t), "transaction mode allows transactions");
    }
}

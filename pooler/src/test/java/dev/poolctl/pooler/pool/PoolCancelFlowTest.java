package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Cancel requests through the manager and the pool: a server is never reused while a cancel for it is in flight. */
class PoolCancelFlowTest {

    @Test
    void aForwardedCancelGoesThroughTheLauncherForTheClientsServer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        PoolServer s = h.serve(a);
        AtomicInteger requesterClosed = new AtomicInteger();
        int pid = h.manager.newCancelKey(a);
        h.manager.cancel(pid, h.manager.cancelSecret(a), requesterClosed::incrementAndGet);
        assertEquals(List.of(s), h.launcher.cancels, "sent for the server the client has now");
        assertEquals(1, pool.waitingCancelRequestCount(), "cl_waiting_cancel_req: its connection is not open yet");
        assertEquals(0, pool.activeCancelRequestCount());

        CancelCallback cb = h.launcher.cancelCallbacks.get(0);
        assertTrue(cb.connected(), "the query still runs: send it");
        assertEquals(0, pool.waitingCancelRequestCount());
        assertEquals(1, pool.activeCancelRequestCount());
        assertEquals(0, requesterClosed.get(), "the requester stays open until PostgreSQL has acted");
        cb.done();
        assertEquals(1, requesterClosed.get());
        assertEquals(0, pool.activeCancelRequestCount());
        assertEquals(ServerState.ACTIVE, s.state(), "the client still has its server");
    }

    @Test
    void aReleasedServerWithACancelInFlightIsBeingCanceledUntilItIsDone() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        AtomicInteger requesterClosed = new AtomicInteger();
        pool.forwardCancel(s, requesterClosed::incrementAndGet);
        CancelCallback cb = h.launcher.cancelCallbacks.get(0);
        assertTrue(cb.connected());

        h.finish(s); // the query ended before the cancel landed
        assertEquals(ServerState.BEING_CANCELED, s.state());
        assertEquals(1, pool.beingCanceledCount());
        assertEquals(ClientState.IDLE, a.state(), "the client is released as usual");
        FakeClient w = h.idleClient(pool);
        assertNull(h.request(w), "a server being canceled is not handed out");
        assertEquals(1, h.launcher.countFor(pool), "and it still counts against pool_size");

        cb.done();
        assertEquals(1, requesterClosed.get());
        assertEquals(0, pool.beingCanceledCount());
        assertSame(s, w.server, "cancel done: back in use, the waiter first");
        h.finish(s);
        assertEquals(ServerState.IDLE, s.state());
    }

    @Test
    void aCancelNotYetConnectedWhenTheServerIsReleasedIsDropped() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        AtomicInteger requesterClosed = new AtomicInteger();
        pool.forwardCancel(s, requesterClosed::incrementAndGet);
        h.finish(s);
        assertEquals(ServerState.IDLE, s.state(), "nothing was sent: reusable at once");
        CancelCallback cb = h.launcher.cancelCallbacks.get(0);
        assertFalse(cb.connected(), "its query is over: it must not hit the next client's");
        cb.done();
        assertEquals(1, requesterClosed.get(), "the requester is still closed");
        assertEquals(0, pool.waitingCancelRequestCount());
        assertEquals(0, pool.activeCancelRequestCount());
        assertEquals(ServerState.IDLE, s.state());
    }

    @Test
    void inSessionModeTheResetRunsOnceTheCancelIsDone() {
        PoolHarness h = new PoolHarness("pool_mode = session");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(a);
        pool.forwardCancel(s, null);
        CancelCallback cb = h.launcher.cancelCallbacks.get(0);
        cb.connected();
        h.disconnect(a);
        assertEquals(ServerState.BEING_CANCELED, s.state());
        assertEquals(List.of(), s.internalQueries);
        cb.done();
        assertEquals(ServerState.USED, s.state());
        assertEquals(List.of("DISCARD ALL"), s.internalQueries);
    }

    @Test
    void aServerClosedWhileBeingCanceledIsGoneForGood() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeServer s = (FakeServer) h.serve(h.idleClient(pool));
        pool.forwardCancel(s, null);
        CancelCallback cb = h.launcher.cancelCallbacks.get(0);
        cb.connected();
        h.finish(s);
        s.crash();
        assertEquals(0, pool.beingCanceledCount());
        assertEquals(0, pool.serverCount());
        cb.done();
        assertEquals(ServerState.CLOSED, s.state());
        assertEquals(0, pool.activeCancelRequestCount());
    }

    @Test
    void aCancelForAQueuedClientWaitsForItsServerAndAnUnknownKeyIsIgnored() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient w = h.idleClient(pool);
        h.serve(a);
        assertNull(h.request(w));
        AtomicInteger requesterClosed = new AtomicInteger();
        int pid = h.manager.newCancelKey(w);
        int secret = h.manager.cancelSecret(w);
        h.manager.cancel(pid, secret, requesterClosed::incrementAndGet);
        assertTrue(w.cancelPending, "kept for the server it will get");
        assertEquals(List.of(), h.launcher.cancels, "nothing to cancel on any server yet");
        assertEquals(1, requesterClosed.get());
        assertEquals(1, pool.waitingCancelRequestCount(), "counted as cl_waiting_cancel_req");

        h.manager.cancel(pid, secret ^ 1, requesterClosed::incrementAndGet);
        assertEquals(2, requesterClosed.get(), "a wrong secret is an unknown key: just closed");
        assertEquals(List.of(), h.launcher.cancels);
        assertEquals(1, pool.waitingCancelRequestCount());
    }
}

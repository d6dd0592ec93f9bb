package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The being-canceled bookkeeping of a pool, without sockets: servers are plain strings here. */
class PoolCancelsTest {
    private final List<String> reusable = new ArrayList<>();
    private final PoolCancels<String> cancels = new PoolCancels<>((s, reset) -> reusable.add(s + (reset ? "+reset" : "")));

    @Test
    void aServerWithASentCancelIsHeldUntilTheCancelIsDone() {
        List<String> closedRequesters = new ArrayList<>();
        var r = cancels.add("S1", () -> closedRequesters.add("C1"));
        assertEquals(1, cancels.waitingRequestCount());
        assertTrue(r.connected(), "the query still runs: the cancel is sent");
        assertEquals(0, cancels.waitingRequestCount());
        assertEquals(1, cancels.activeRequestCount());

        assertTrue(cancels.holdWhileCanceling("S1", true), "released while its cancel is in flight");
        assertEquals(1, cancels.beingCanceledCount());
        assertEquals(List.of("S1"), cancels.beingCanceled());
        assertEquals(List.of(), reusable);

        r.done();
        assertEquals(List.of("S1+reset"), reusable, "reused only now, with the reset it was due");
        assertEquals(List.of("C1"), closedRequesters, "the requesting client is closed once the cancel is done");
        assertEquals(0, cancels.activeRequestCount());
        assertEquals(0, cancels.beingCanceledCount());
    }

    @Test
    void aCancelNotYetSentWhenTheServerIsReleasedIsNeverSent() {
        var r = cancels.add("S1", null);
        assertFalse(cancels.holdWhileCanceling("S1", false), "nothing in flight: reusable at once");
        assertFalse(r.connected(), "its query has ended: the cancel must not reach the server's next client");
        r.done();
        assertEquals(0, cancels.waitingRequestCount());
        assertEquals(0, cancels.activeRequestCount());
        assertEquals(List.of(), reusable, "the pool already took the server back itself");
    }

    @Test
    void everyInFlightCancelMustFinishAndDoneCountsOnce() {
        var a = cancels.add("S1", null);
        var b = cancels.add("S1", null);
        var c = cancels.add("S2", null);
        a.connected();
        b.connected();
        c.connected();
        assertTrue(cancels.holdWhileCanceling("S1", false));
        a.done();
        a.done();
        assertEquals(List.of(), reusable, "one cancel of S1 is still in flight");
        b.done();
        assertEquals(List.of("S1"), reusable);
        c.done();
        assertEquals(List.of("S1"), reusable, "S2 was never released: its client still has it");
        assertEquals(0, cancels.activeRequestCount());
    }

    @Test
    void aClosedServerIsForgotten() {
        var r = cancels.add("S1", null);
        r.connected();
        assertTrue(cancels.holdWhileCanceling("S1", false));
        cancels.serverClosed("S1");
        assertEquals(0, cancels.beingCanceledCount());
        r.done();
        assertEquals(List.of(), reusable, "a closed server is never handed out again");
    }
}

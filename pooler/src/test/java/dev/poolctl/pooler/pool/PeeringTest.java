package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** PgBouncer's cancel key layout for peering, and what a pooler does with a CancelRequest of another peer. */
class PeeringTest {
    private static final String PEERS = "peer_id = 1\n[peers]\n1 = host=127.0.0.1 port=6001\n"
            + "2 = host=10.0.0.2 port=7000\n258 = host=/run/poolctl port=6002\n";

    @Test
    void theKeyCarriesThePeerIdInBytesOneAndTwoAndTheTtlBits() {
        long random = 0x7f_12_34_56_78_9a_bc_d0L;
        for (int peer : new int[] {1, 258, 0xFFFF}) {
            long key = Peering.stamp(random, peer);
            assertEquals(peer, Peering.peerOf(key));
            assertEquals(peer & 0xFF, (int) (key >>> 48) & 0xFF, "byte 1: the low byte");
            assertEquals(peer >> 8, (int) (key >>> 40) & 0xFF, "byte 2: the high byte");
            assertEquals(Peering.TTL_MASK, key & Peering.TTL_MASK, "a key given out may be forwarded 3 times");
            assertTrue(key > 0, "the pid half stays positive");
            assertEquals(random & 0xFF_00_00_00_FF_FF_FF_FCL, key & 0xFF_00_00_00_FF_FF_FF_FCL, "the rest stays random");
        }
        assertEquals(random, Peering.stamp(random, 0), "no peering: the key is all random");
        assertEquals(0x10 | Peering.TTL_MASK, Peering.ownSecret(1, 0x10), "a forwarded key matches the stored one");
        assertEquals(0x10, Peering.ownSecret(0, 0x10));
    }

    @Test
    void keysGivenOutCarryThisPoolersPeerIdAndARequestForwardedHereFindsItsClient() {
        PoolHarness h = new PoolHarness(PEERS + "[pgbouncer]\npool_mode = transaction\n");
        Pool pool = h.pool();
        PoolHarness.FakeClient c = h.idleClient(pool);
        PoolServer s = h.serve(c);
        int pid = h.manager.newCancelKey(c);
        long key = ((long) pid << 32) | (h.manager.cancelSecret(c) & 0xffffffffL);
        assertEquals(1, Peering.peerOf(key));
        assertEquals(Peering.TTL_MASK, key & Peering.TTL_MASK);
        long viaTwoPeers = key - 2; // forwarded twice before it came here
        h.manager.cancel(pid, (int) viaTwoPeers, () -> { });
        assertEquals(java.util.List.of(s), h.launcher.cancels, "sent to the client's server");
        assertTrue(h.launcher.forwarded.isEmpty());
    }

    @Test
    void anotherPeersRequestIsForwardedWithItsTtlDecremented() {
        PoolHarness h = new PoolHarness(PEERS);
        long key = Peering.stamp(0x1122_3344_5566_7788L, 2);
        AtomicInteger done = new AtomicInteger();
        h.manager.cancel((int) (key >>> 32), (int) key, done::incrementAndGet);
        long forwarded = key - 1;
        assertEquals(java.util.List.of("10.0.0.2:7000 " + (int) (forwarded >>> 32) + " " + (int) forwarded),
                h.launcher.forwarded);
        assertEquals(1, done.get(), "the requester is closed once the peer has closed the forwarded connection");

        long viaUnix = Peering.stamp(0x1122_3344_5566_7788L, 258);
        h.manager.cancel((int) (viaUnix >>> 32), (int) viaUnix, done::incrementAndGet);
        assertTrue(h.launcher.forwarded.get(1).startsWith("unix:/run/poolctl/.s.PGSQL.6002 "), h.launcher.forwarded.toString());
    }

    @Test
    void aSpentTtlOrAnUnknownPeerIsDroppedNotForwarded() {
        PoolHarness h = new PoolHarness(PEERS);
        AtomicInteger done = new AtomicInteger();
        long spent = Peering.stamp(0x1122_3344_5566_7788L, 2) & ~(long) Peering.TTL_MASK;
        h.manager.cancel((int) (spent >>> 32), (int) spent, done::incrementAndGet);
        long unknown = Peering.stamp(0x1122_3344_5566_7788L, 3);
        h.manager.cancel((int) (unknown >>> 32), (int) unknown, done::incrementAndGet);
        assertTrue(h.launcher.forwarded.isEmpty(), h.launcher.forwarded.toString());
        assertEquals(2, done.get(), "both requesters closed");
    }

    @Test
    void withoutPeeringNothingIsForwarded() {
        PoolHarness h = new PoolHarness("");
        AtomicInteger done = new AtomicInteger();
        long key = Peering.stamp(0x1122_3344_5566_7788L, 2);
        h.manager.cancel((int) (key >>> 32), (int) key, done::incrementAndGet);
        assertFalse(h.launcher.forwarded.size() > 0);
        assertEquals(1, done.get(), "an unknown key: the requester is closed");
    }
}

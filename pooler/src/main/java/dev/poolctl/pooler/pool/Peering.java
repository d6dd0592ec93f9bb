package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.PeerConfig;

/**
 * PgBouncer's peering (1.19+): several poolers behind one address ({@code so_reuseport}, a load balancer), each
 * with its own {@code peer_id}. A client's CancelRequest goes over a new connection, which may land on another
 * pooler than the one serving the client; so each pooler writes its peer_id into the cancel keys it gives out, and
 * forwards a request with another peer's id to that peer ({@code [peers]}). The layout is PgBouncer's, so poolctl
 * and PgBouncer instances can be peers of each other: bytes 1 and 2 of the 8-byte key hold the peer_id (low byte
 * first), and the two low bits of byte 7 a time to live, decremented at each forward, which ends forwarding loops.
 */
final class Peering {
    /** The TTL bits of byte 7; set in every key given out, so a request's key matches once they are set again. */
    static final int TTL_MASK = 0x03;

    private Peering() {}

    /** {@code key} (pid << 32 | secret, random) with {@code peerId} in it; unchanged when peering is off (0). */
    static long stamp(long key, int peerId) {
        if (peerId <= 0) {
            return key;
        }
        long peer = ((long) (peerId & 0xFF) << 48) | ((long) ((peerId >> 8) & 0xFF) << 40);
        return (key & ~0x00FFFF00_00000000L) | peer | TTL_MASK;
    }

    static int peerOf(long key) {
        return (int) ((key >>> 48) & 0xFF) | (int) (((key >>> 40) & 0xFF) << 8);
    }

    /** The secret as this pooler stored it: a request forwarded to us has fewer TTL bits set. */
    static int ownSecret(int peerId, int secret) {
        return peerId > 0 ? secret | TTL_MASK : secret;
    }

    /**
     * Whether the CancelRequest is another peer's: then it is forwarded there with its TTL decremented, or, when
     * the TTL is spent or the peer unknown, dropped with PgBouncer's log line; {@code whenDone} closes the requester
     * once the peer has closed the forwarded connection (its cancel done), as for a cancel to PostgreSQL.
     */
    static boolean forwarded(PoolManager manager, int peerId, int pid, int secret, Runnable whenDone) {
        if (peerId <= 0) {
            return false;
        }
        long key = ((long) pid << 32) | (secret & 0xffffffffL);
        int target = peerOf(key);
        if (target == peerId) {
            return false;
        }
        PeerConfig peer = manager.config().peers().get(target);
        if ((key & TTL_MASK) == 0) {
            manager.log().log("failed to forward cancel request because its TTL was exhausted");
            whenDone.run();
        } else if (peer == null) {
            manager.log().log("could not find peer to forward request to: peer_id " + target);
            whenDone.run();
        } else {
            long next = key - 1; // the TTL is in the lowest bits and above 0: no borrow
            manager.log().debug("forwarding cancellation request to peer " + target);
            manager.launcher().forwardCancel(peer.address(), (int) (next >>> 32), (int) next, whenDone);
        }
        return true;
    }
}

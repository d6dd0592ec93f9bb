package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Randoms;
import io.netty.util.collection.LongObjectHashMap;

/**
 * Each client's own BackendKeyData (PgBouncer gives every client a key of its own, mapped to whatever server
 * it has when a CancelRequest comes): random, unique among the clients logged in. Shared by the event loops: a
 * CancelRequest arrives on any loop and names a client that may live on another.
 *
 * <p>A primitive map under a lock rather than a ConcurrentHashMap: no boxed key and map node per client (an idle
 * client's heap is the memory budget), and keys are touched only at login, close and cancel, never per query. The
 * client's own key is kept in its {@link StateEntry}, so no reverse map is needed to remove it.
 */
final class CancelKeys {
    private final LongObjectHashMap<PoolClient> byKey = new LongObjectHashMap<>();

    private static long key(int pid, int secret) {
        return ((long) pid << 32) | (secret & 0xffffffffL);
    }

    /** A new key for {@code c}, with {@code peerId} in it when peering ({@link Peering}); returns its pid part. */
    int add(PoolClient c, int peerId) {
        while (true) {
            // one draw: pid (positive, as some clients need) and secret
            long key = Peering.stamp(Randoms.nextLong() & 0x7fffffff_ffffffffL, peerId);
            if (key == StateEntry.NO_CANCEL_KEY) {
                continue;
            }
            synchronized (byKey) {
                if (!byKey.containsKey(key)) {
                    byKey.put(key, c);
                    c.entry().cancelKey = key; // published with the map entry (same lock) to whoever finds it
                    return (int) (key >>> 32);
                }
            }
        }
    }

    int secret(PoolClient c) {
        synchronized (byKey) {
            return (int) c.entry().cancelKey;
        }
    }

    /** The client a CancelRequest names, or null. */
    PoolClient find(int pid, int secret) {
        synchronized (byKey) {
            return byKey.get(key(pid, secret));
        }
    }

    void remove(PoolClient c) {
        synchronized (byKey) {
            long key = c.entry().cancelKey;
            if (key != StateEntry.NO_CANCEL_KEY && byKey.get(key) == c) {
                byKey.remove(key);
            }
            c.entry().cancelKey = StateEntry.NO_CANCEL_KEY;
        }
    }
}

package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Randoms;
import java.security.SecureRandom;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Each client's own BackendKeyData (PgBouncer gives every client a key of its own, mapped to whatever server
 * it has when a CancelRequest comes): random, unique among the clients logged in. Shared by the event loops: a
 * CancelRequest arrives on any loop and names a client that may live on another.
 */
final class CancelKeys {
    private final ConcurrentHashMap<Long, PoolClient> byKey = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<PoolClient, Long> keys = new ConcurrentHashMap<>();

    private static long key(int pid, int secret) {
        return ((long) pid << 32) | (secret & 0xffffffffL);
    }

    /** A new key for {@code c}; returns its pid part. */
    int add(PoolClient c) {
        SecureRandom random = Randoms.secure();
        while (true) {
            long key = random.nextLong() & 0x7fffffff_ffffffffL; // one draw: pid (positive) and secret
            if (byKey.putIfAbsent(key, c) == null) {
                keys.put(c, key);
                return (int) (key >>> 32);
            }
        }
    }

    int secret(PoolClient c) {
        return (int) (long) keys.get(c);
    }

    /** The client a CancelRequest names, or null. */
    PoolClient find(int pid, int secret) {
        return byKey.get(key(pid, secret));
    }

    void remove(PoolClient c) {
        Long key = keys.remove(c);
        if (key != null) {
            byKey.remove(key);
        }
    }
}

package dev.poolctl.pooler.pool;

import io.netty.util.collection.LongObjectHashMap;
import java.security.SecureRandom;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Each client's own BackendKeyData (PgBouncer gives every client a key of its own, mapped to whatever server
 * it has when a CancelRequest comes): random, unique among the clients logged in.
 *
 * <p>Every logged-in client has an entry, idle ones included, so the maps are chosen for size: a primitive-keyed
 * open-addressing map from key to client (no node and no boxed key per client) and an identity map back (one
 * boxed key per client, no node), about 60 bytes a client instead of about 130 with two HashMaps.
 */
final class CancelKeys {
    private final SecureRandom random = dev.poolctl.pooler.auth.Randoms.secure();
    private final LongObjectHashMap<PoolClient> byKey = new LongObjectHashMap<>();
    private final Map<PoolClient, Long> keys = new IdentityHashMap<>();

    private static long key(int pid, int secret) {
        return ((long) pid << 32) | (secret & 0xffffffffL);
    }

    /** A new key for {@code c}; returns its pid part. */
    int add(PoolClient c) {
        while (true) {
            int pid = random.nextInt() & 0x7fffffff;
            long key = key(pid, random.nextInt());
            if (!byKey.containsKey(key)) {
                byKey.put(key, c);
                keys.put(c, key);
                return pid;
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
            byKey.remove((long) key);
        }
    }
}

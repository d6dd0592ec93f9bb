package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.log.PoolerLog;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * PgBouncer 1.26's {@code pool_idle_timeout} (cleanup_inactive_pools): a pool that has had no client and no server
 * for that long is freed, so that a (database, user) pair used once does not keep its pool forever. A forced-user
 * pool with min_pool_size is kept: the janitor would make it again at once.
 */
final class IdlePools {
    /** When each pool was last seen in use, by key. */
    private final Map<PoolKey, Long> lastActive = new HashMap<>();

    /** Removes the pools idle for longer than pool_idle_timeout (0: never) from {@code pools}, logging each. */
    void reap(Map<PoolKey, Pool> pools, PoolerConfig config, long now, PoolerLog log) {
        long timeout = config.general().durationValue(Setting.POOL_IDLE_TIMEOUT).toNanos();
        if (timeout <= 0) {
            lastActive.clear();
            return;
        }
        lastActive.keySet().retainAll(pools.keySet());
        for (Iterator<Pool> it = pools.values().iterator(); it.hasNext(); ) {
            Pool p = it.next();
            if (p.database().user() != null && p.settings().minPoolSize() > 0) {
                continue;
            }
            if (p.clientCount() > 0 || p.serverCount() > 0) {
                lastActive.put(p.key(), now);
                continue;
            }
            long since = lastActive.computeIfAbsent(p.key(), k -> now);
            if (now - since > timeout) {
                lastActive.remove(p.key());
                it.remove();
                log.log("cleaning up idle pool for user " + p.key().user() + " on db " + p.key().database()
                        + " because: pool idle timeout (age= " + (now - since) / 1_000_000_000L + "s)");
            }
        }
    }
}

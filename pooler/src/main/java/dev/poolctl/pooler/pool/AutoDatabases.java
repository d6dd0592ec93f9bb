package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.PoolerConfig;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Databases made from the {@code *} entry (PgBouncer's autodb): once none of a database's pools has had a client
 * or a server for {@code autodb_idle_timeout}, its pools are dropped, so clients naming ever new databases cannot
 * grow the pool list without end (PgBouncer's cleanup_inactive_autodatabases; a paused database is kept).
 */
final class AutoDatabases {
    /** When each auto-database was first seen unused, by name; absent while in use. */
    private final Map<String, Long> inactiveSince = new HashMap<>();

    /** Removes the pools of the auto-databases that are due to go now from {@code pools}, logging each database. */
    void reap(Map<PoolKey, Pool> pools, PoolerConfig config, long now, java.util.function.Predicate<String> paused,
            dev.poolctl.pooler.log.PoolerLog log) {
        for (String db : expired(pools.values(), config, now, paused)) {
            pools.keySet().removeIf(k -> k.database().equals(db));
            log.log("auto-database " + db + " removed after autodb_idle_timeout");
        }
    }

    /** Auto-databases whose pools are due to go now. */
    private Set<String> expired(Collection<Pool> pools, PoolerConfig config, long now, java.util.function.Predicate<String> paused) {
        Duration timeout = config.general().autodbIdleTimeout();
        Set<String> auto = new HashSet<>();
        Set<String> active = new HashSet<>();
        for (Pool p : pools) {
            String db = p.key().database();
            if (config.databases().containsKey(db)) {
                continue; // an entry of its own: never dropped
            }
            auto.add(db);
            if (p.clientCount() > 0 || p.serverCount() > 0) {
                active.add(db);
            }
        }
        inactiveSince.keySet().retainAll(auto);
        Set<String> due = new HashSet<>();
        for (String db : auto) {
            if (active.contains(db)) {
                inactiveSince.remove(db);
                continue;
            }
            long since = inactiveSince.computeIfAbsent(db, k -> now);
            if (!timeout.isZero() && now - since > timeout.toNanos() && !paused.test(db)) {
                inactiveSince.remove(db);
                due.add(db);
            }
        }
        return due;
    }
}

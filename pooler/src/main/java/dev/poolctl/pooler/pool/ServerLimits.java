package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.PoolerConfig;
import java.util.HashSet;
import java.util.Set;

/**
 * The server limits that span pools: max_db_connections (a database's pools all live on one loop, so it is
 * counted here) and max_user_connections (a user's pools may be on every loop: counted in {@link GlobalState}).
 * When a limit is full and clients wait, an idle server of another pool is closed to make room (PgBouncer's
 * evict_connection / evict_user_connection), on another loop if need be ({@link EvictionRequest}).
 */
final class ServerLimits {
    private final PoolManager manager;
    private final GlobalState global;
    /** Pools whose {@link EvictionRequest} is going round the other loops: one at a time per pool. */
    private final Set<Pool> asking = new HashSet<>();

    ServerLimits(PoolManager manager, GlobalState global) {
        this.manager = manager;
        this.global = global;
    }

    private PoolerConfig config() {
        return manager.config();
    }

    /** A server of {@code pool} left its lists: its max_user_connections slot is free. */
    void serverGone(Pool pool) {
        global.userServerGone(pool.key().user());
    }

    /** Whether a new server may open; a null side is not checked. */
    boolean allow(DatabaseConfig db, String user) {
        int maxDb = db == null ? 0 : config().maxDbConnections(db);
        int maxUser = user == null ? 0 : config().maxUserConnections(user);
        if (maxUser > 0 && global.userServers(user) >= maxUser) {
            return false;
        }
        if (maxDb <= 0) {
            return true;
        }
        int dbCount = 0;
        for (Pool p : manager.pools()) {
            if (p.key().database().equals(db.name())) dbCount += p.serverCount();
        }
        return dbCount < maxDb;
    }

    /**
     * Frees a server slot for {@code needy}: closes an idle server of another pool that counts against the limit
     * that is full, the same database for max_db_connections, the same user for max_user_connections; closing one
     * that shares neither frees nothing. False when no slot is free now (one may be freed on another loop).
     */
    boolean evictIdleServer(Pool needy) {
        DatabaseConfig db = needy.database();
        String user = needy.key().user();
        boolean dbFull = config().maxDbConnections(db) > 0 && !allow(db, null);
        boolean userFull = config().maxUserConnections(user) > 0 && !allow(null, user);
        for (Pool p : manager.pools()) {
            boolean sameDb = p.key().database().equals(db.name());
            boolean sameUser = p.key().user().equals(user);
            // Both full: only a server of the same database and user frees a slot in both.
            boolean frees = dbFull && userFull ? sameDb && sameUser : dbFull ? sameDb : userFull && sameUser;
            if (p != needy && frees && p.idleCount() > 0 && evictIdle(p)) {
                return true;
            }
        }
        if (userFull && !dbFull && global.managers().size() > 1 && asking.add(needy)) {
            // the user's idle servers may be on other loops
            EvictionRequest.start(needy, manager, () -> asking.remove(needy));
        }
        return false;
    }

    /** Closes one idle server of {@code p} (for another pool that hit a shared limit); false when there is none. */
    private static boolean evictIdle(Pool p) {
        PoolServer s = p.serverLists().last(ServerState.IDLE);
        if (s == null) {
            return false;
        }
        p.disconnect(s, "evicted for another pool (max_db_connections/max_user_connections)");
        return true;
    }

    /** Closes one idle server of {@code user} on this loop, for a pool of another loop; false when none. */
    boolean evictIdleOfUser(String user) {
        for (Pool p : manager.pools()) {
            if (p.key().user().equals(user) && p.idleCount() > 0 && evictIdle(p)) {
                return true;
            }
        }
        return false;
    }
}

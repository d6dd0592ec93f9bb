package dev.poolctl.pooler.pool;

import static dev.poolctl.pooler.pool.ClientState.WAITING;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.PoolMode;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.time.Duration;

/**
 * A pool's periodic upkeep (PgBouncer's janitor.c): client timeouts, a pool_size lowered by RELOAD,
 * server_lifetime and server_idle_timeout of idle servers, server_connect_timeout, the reserve pool after
 * reserve_pool_timeout, and min_pool_size. Time is the caller's {@code now}: unit tests move it by hand.
 */
final class Janitor {
    private Janitor() {}

    static void run(Pool pool, long now) {
        StateLists<ClientState, PoolClient> clients = pool.clientLists();
        StateLists<ServerState, PoolServer> servers = pool.serverLists();
        GeneralSettings g = pool.general();
        PoolSettings ps = pool.settings();
        ClientTimeouts.apply(pool, now);
        if (g.boolValue(Setting.SERVER_FAST_CLOSE) && pool.mode() == PoolMode.SESSION) {
            fastClose(pool, servers);
        }
        // A smaller pool_size after RELOAD/SET: idle servers above the new limit go (PgBouncer's janitor).
        while (!servers.isEmpty(ServerState.IDLE) && pool.serverCount() > ps.poolSize() + ps.reservePoolSize()) {
            pool.disconnect(servers.last(ServerState.IDLE), "too many servers in the pool");
        }
        Duration serverIdle = g.serverIdleTimeout();
        for (PoolServer s : servers.list(ServerState.IDLE)) {
            String expired = pool.expiredReason(s, now);
            if (expired == null && !serverIdle.isZero() && now - s.lastUsedNanos() > serverIdle.toNanos()
                    && pool.serverCount() > ps.minPoolSize()) {
                expired = "server idle timeout";
            }
            if (expired != null) {
                pool.disconnect(s, expired);
            }
        }
        Duration connectTimeout = g.serverConnectTimeout();
        for (PoolServer s : servers.list(ServerState.LOGIN)) {
            if (!connectTimeout.isZero() && now - s.connectNanos() > connectTimeout.toNanos()) {
                LoginRetry.hostFailed(pool, s, "server connect timeout", true);
                pool.disconnect(s, "connect timeout");
            }
        }
        if (!clients.isEmpty(WAITING)) {
            Duration reserveTimeout = g.reservePoolTimeout(); // 0 disables the reserve pool (PgBouncer)
            boolean reserve = ps.reservePoolSize() > 0 && !reserveTimeout.isZero()
                    && now - clients.firstSince(WAITING) > reserveTimeout.toNanos();
            PoolClient first = clients.first(WAITING);
            int before = Math.max(pool.serverCount(), ps.poolSize());
            pool.dispatch(reserve);
            for (int n = before; n < pool.serverCount(); n++) { // PgBouncer's line, once per reserve server opened
                pool.log().warning(first.prefix() + " taking connection from reserve_pool");
            }
        }
        pool.replicationLinks().janitor();
        launchForLoginWaiters(pool);
        if ((pool.database().user() != null || pool.clientCount() > 0) && !pool.manager().isShuttingDown()) {
            while (pool.serverCount() < ps.minPoolSize() && pool.canOpen(false) && pool.launch()) {
                // one more towards min_pool_size
            }
        }
    }

    /**
     * server_fast_close in session mode: a server marked close_needed (RECONNECT, a RELOAD that changed its
     * database, a new address) goes at its client's next transaction boundary instead of at the session's end, and
     * its client with it, told why (PgBouncer's pool_server_maint and unlink_server), so that it notices.
     */
    private static void fastClose(Pool pool, StateLists<ServerState, PoolServer> servers) {
        for (PoolServer s : servers.list(ServerState.ACTIVE)) {
            if (s.closeNeeded() && s.pendingRequests() == 0 && s.txStatus() == PgProtocol.TX_IDLE) {
                String reason = "database configuration changed";
                PoolClient c = s.client();
                if (c != null) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, reason); // its error first, as the other janitor closes
                }
                pool.disconnect(s, reason);
            }
        }
    }

    /** Clients wait for the pool's first login and none is under way: one more attempt, if a slot is free. */
    static void launchForLoginWaiters(Pool pool) {
        ReplicationLinks replication = pool.replicationLinks();
        if (replication.normalLoginWaiters() && replication.normalLogins() == 0 && pool.canOpen(false)) {
            pool.launch();
        }
    }
}

package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The client timeouts of a pool's janitor run (PgBouncer's pool_client_maint): query_timeout and
 * query_wait_timeout of clients without a server (queued, or waiting for the first server login),
 * client_login_timeout of the latter, client_idle_timeout, and query_timeout and idle_transaction_timeout of
 * clients with a server. The lists are copies: failing a client moves it out of its state after this run.
 */
final class ClientTimeouts {
    private ClientTimeouts() {}

    static void apply(GeneralSettings g, long now, List<PoolClient> loginWaiters, List<PoolClient> waiting,
                      List<PoolClient> clients, BiConsumer<PoolServer, String> disconnect) {
        Duration queryTimeout = g.queryTimeout();
        Duration waitTimeout = g.queryWaitTimeout();
        if (!queryTimeout.isZero() || !waitTimeout.isZero()) {
            // PgBouncer's waiting_client_list holds the clients waiting for the first server login too, and
            // query_timeout applies to a queued query as well as to a running one.
            waitingTimeouts(loginWaiters, now, queryTimeout, waitTimeout);
            waitingTimeouts(waiting, now, queryTimeout, waitTimeout);
        }
        Duration loginTimeout = g.clientLoginTimeout();
        if (!loginTimeout.isZero()) {
            for (PoolClient c : loginWaiters) {
                if (now - c.connectNanos() > loginTimeout.toNanos()) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_login_timeout (server down)");
                }
            }
        }
        Duration clientIdle = g.clientIdleTimeout();
        Duration idleTx = g.idleTransactionTimeout();
        for (PoolClient c : clients) {
            PoolServer s = c.server();
            if (c.state() == ClientState.IDLE && !clientIdle.isZero()
                    && now - c.lastActivityNanos() > clientIdle.toNanos()) {
                c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_idle_timeout");
            } else if (s != null && c.state() == ClientState.ACTIVE) {
                if (!queryTimeout.isZero() && s.pendingRequests() > 0
                        && now - s.requestNanos() > queryTimeout.toNanos()) {
                    // The client's error first: closing its server would tell it "server conn crashed?".
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "query timeout");
                    disconnect.accept(s, "query timeout");
                } else if (!idleTx.isZero() && s.pendingRequests() == 0 && s.txStatus() != PgProtocol.TX_IDLE
                        && now - c.lastActivityNanos() > idleTx.toNanos()) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "idle transaction timeout");
                    disconnect.accept(s, "idle transaction timeout");
                }
            }
        }
    }

    /** query_timeout, then query_wait_timeout, of clients without a server, counted from when they began to wait. */
    private static void waitingTimeouts(List<PoolClient> clients, long now, Duration queryTimeout, Duration waitTimeout) {
        for (PoolClient c : clients) {
            long age = now - c.entry().sinceNanos();
            if (!queryTimeout.isZero() && age > queryTimeout.toNanos()) {
                c.fail(PgProtocol.PROTOCOL_VIOLATION, "query_timeout");
            } else if (!waitTimeout.isZero() && age > waitTimeout.toNanos()) {
                c.fail(PgProtocol.PROTOCOL_VIOLATION, "query_wait_timeout");
            }
        }
    }
}

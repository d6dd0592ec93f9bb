package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.session.ClientState;
import dev.poolctl.pooler.session.ServerConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;

/**
 * The client timeouts of a pool's janitor run (PgBouncer's pool_client_maint): client_login_timeout of clients
 * waiting for the first server login, query_wait_timeout, client_idle_timeout, query_timeout and
 * idle_transaction_timeout. Failing a client removes it from the collections, so each is walked on a copy.
 */
final class ClientTimeouts {
    private ClientTimeouts() {}

    static void apply(GeneralSettings g, long now, Collection<ClientConnection> loginWaiters,
                      Collection<ClientConnection> waiting, Collection<ClientConnection> clients) {
        Duration loginTimeout = g.clientLoginTimeout();
        if (!loginTimeout.isZero()) {
            for (ClientConnection c : new ArrayList<>(loginWaiters)) {
                if (now - c.connectNanos() > loginTimeout.toNanos()) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_login_timeout (server down)");
                }
            }
        }
        Duration waitTimeout = g.queryWaitTimeout();
        if (!waitTimeout.isZero()) {
            for (ClientConnection c : new ArrayList<>(waiting)) {
                if (now - c.stateSinceNanos() > waitTimeout.toNanos()) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "query_wait_timeout");
                }
            }
        }
        Duration clientIdle = g.clientIdleTimeout();
        Duration idleTx = g.idleTransactionTimeout();
        Duration queryTimeout = g.queryTimeout();
        for (ClientConnection c : new ArrayList<>(clients)) {
            ServerConnection s = c.server();
            if (c.state() == ClientState.IDLE && !clientIdle.isZero()
                    && now - c.lastActivityNanos() > clientIdle.toNanos()) {
                c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_idle_timeout");
            } else if (s != null && c.state() == ClientState.ACTIVE) {
                if (!queryTimeout.isZero() && s.pendingRequests() > 0
                        && now - s.requestNanos() > queryTimeout.toNanos()) {
                    s.close("query timeout");
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "query timeout");
                } else if (!idleTx.isZero() && s.pendingRequests() == 0 && s.txStatus() != PgProtocol.TX_IDLE
                        && now - c.lastActivityNanos() > idleTx.toNanos()) {
                    s.close("idle transaction timeout");
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "idle transaction timeout");
                }
            }
        }
    }
}

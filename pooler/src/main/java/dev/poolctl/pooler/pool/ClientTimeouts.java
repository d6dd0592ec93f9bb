package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.time.Duration;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The client timeouts of a pool's janitor run (PgBouncer's pool_client_maint): client_login_timeout of clients
 * waiting for the first server login, query_wait_timeout, client_idle_timeout, query_timeout and
 * idle_transaction_timeout. The lists are copies: failing a client moves it out of its state after this run.
 */
final class ClientTimeouts {
    private ClientTimeouts() {}

    static void apply(GeneralSettings g, long now, List<PoolClient> loginWaiters, List<PoolClient> waiting,
                      List<PoolClient> clients, BiConsumer<PoolServer, String> disconnect) {
        Duration loginTimeout = g.clientLoginTimeout();
        if (!loginTimeout.isZero()) {
            for (PoolClient c : loginWaiters) {
                if (now - c.connectNanos() > loginTimeout.toNanos()) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_login_timeout (server down)");
                }
            }
        }
        Duration waitTimeout = g.queryWaitTimeout();
        if (!waitTimeout.isZero()) {
            for (PoolClient c : waiting) {
                if (now - c.entry().sinceNanos() > waitTimeout.toNanos()) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "query_wait_timeout");
                }
            }
        }
        Duration clientIdle = g.clientIdleTimeout();
        Duration idleTx = g.idleTransactionTimeout();
        Duration queryTimeout = g.queryTimeout();
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
}

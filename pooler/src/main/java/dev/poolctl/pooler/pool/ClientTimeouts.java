package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.util.List;

/**
 * The client timeouts of a pool's janitor run (PgBouncer's pool_client_maint, and the query, idle transaction and
 * transaction timeouts of its pool_server_maint): query_timeout and query_wait_timeout of clients without a server
 * (queued, or waiting for the first server login), client_login_timeout of the latter, client_idle_timeout, and
 * query_timeout, idle_transaction_timeout and transaction_timeout of clients with a server. The lists are copies:
 * failing a client moves it out of its state after this run.
 *
 * <p>Whose value applies is PgBouncer's: the server timeouts are the pool's user's (the forced user where there
 * is one: janitor.c reads server->login_user_credentials), client_idle_timeout and query_wait_timeout are the
 * user's the client logged in as.
 */
final class ClientTimeouts {
    private ClientTimeouts() {}

    static void apply(Pool pool, long now) {
        PoolerConfig config = pool.manager().config();
        PoolSettings ps = pool.settings();
        StateLists<ClientState, PoolClient> lists = pool.clientLists();
        List<PoolClient> loginWaiters = lists.list(ClientState.LOGIN_WAIT);
        // PgBouncer's waiting_client_list holds the clients waiting for the first server login too, and the global
        // query_timeout (janitor.c: cf_query_timeout, not a user's) applies to a queued query as to a running one.
        long queryTimeout = config.general().queryTimeout().toNanos();
        waitingTimeouts(loginWaiters, config, pool.database(), now, queryTimeout);
        List<PoolClient> waiting = lists.list(ClientState.WAITING);
        waitingTimeouts(waiting, config, pool.database(), now, queryTimeout);
        queueNotices(waiting, config.general().durationValue(dev.poolctl.pooler.config.Setting.QUERY_WAIT_NOTIFY)
                .getSeconds(), now);
        long loginTimeout = config.general().clientLoginTimeout().toNanos();
        if (loginTimeout > 0) {
            for (PoolClient c : loginWaiters) {
                if (now - c.connectNanos() > loginTimeout) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_login_timeout (server down)");
                }
            }
        }
        for (PoolClient c : pool.clients()) {
            PoolServer s = c.server();
            if (c.state() == ClientState.IDLE && ps.clientIdleCheck()) {
                long clientIdle = config.clientIdleTimeout(c.user()).toNanos();
                if (clientIdle > 0 && now - c.lastActivityNanos() > clientIdle) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_idle_timeout");
                }
            } else if (s != null && c.state() == ClientState.ACTIVE) {
                String reason = serverTimeout(ps, s, now);
                if (reason != null) {
                    // The client's error first: closing its server would tell it "server conn crashed?".
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, reason);
                    pool.disconnect(s, reason);
                }
            }
        }
    }

    /**
     * query_wait_notify: a client queued for a server for more than that many whole seconds (PgBouncer's janitor
     * compares whole seconds) is told so, once per wait, with PgBouncer's notice; 0 turns it off. Clients waiting
     * for the pool's first login get none, as in PgBouncer (their welcome is not sent yet).
     */
    private static void queueNotices(List<PoolClient> waiting, long seconds, long now) {
        if (seconds <= 0) {
            return;
        }
        for (PoolClient c : waiting) {
            StateEntry<ClientState, PoolClient> e = c.entry();
            if (!e.waitNoticeSent && (now - e.sinceNanos()) / 1_000_000_000L > seconds && c.state() == ClientState.WAITING) {
                e.waitNoticeSent = true;
                c.notice("No server connection available in postgres backend, client being queued");
            }
        }
    }

    /**
     * Which timeout, if any, ends the linked pair now; PgBouncer's order (janitor.c pool_server_maint). Only a
     * server that is not "ready" counts: one with a request in flight or inside a transaction.
     * <ul>
     *   <li>query_timeout: a request in flight for longer, counted from when it was sent;
     *   <li>idle_transaction_timeout: in a transaction with nothing in flight, counted from the server's last
     *       answer (janitor.c's age_server; not from the client's last message, which would count a long query
     *       that just ended as idle time: PgBouncer issue 125);
     *   <li>transaction_timeout: from the transaction's first request (PgBouncer's xact_start: the first
     *       request after the server was last outside a transaction, so a single statement outside a
     *       transaction block counts too) until the ReadyForQuery that ends it, in flight or idle alike, in every
     *       pool mode.
     * </ul>
     */
    private static String serverTimeout(PoolSettings ps, PoolServer s, long now) {
        boolean inFlight = s.pendingRequests() > 0;
        boolean inTransaction = s.txStatus() != PgProtocol.TX_IDLE;
        if (!inFlight && !inTransaction) {
            return null;
        }
        long queryTimeout = ps.queryTimeoutNanos();
        long idleTx = ps.idleTransactionTimeoutNanos();
        long txTimeout = ps.transactionTimeoutNanos();
        if (queryTimeout > 0 && inFlight && now - s.requestNanos() > queryTimeout) {
            return "query timeout";
        }
        if (idleTx > 0 && !inFlight && now - s.requestNanos() > idleTx) {
            return "idle transaction timeout";
        }
        // A pipeline of statements outside a block ends a transaction at each ReadyForQuery 'I' while the rest is
        // still in flight: PgBouncer's xact_start ends only with the last answer, so count from the first request.
        long xactStart = s.xactStartNanos() != 0 ? s.xactStartNanos() : inFlight ? s.requestNanos() : 0;
        if (txTimeout > 0 && xactStart != 0 && now - xactStart > txTimeout) {
            return "transaction timeout";
        }
        return null;
    }

    /**
     * query_timeout, then query_wait_timeout, of clients without a server, counted from when they began to wait.
     * query_wait_timeout is the client's: its user's entry, its database's, the global one (PgBouncer 1.26).
     */
    private static void waitingTimeouts(List<PoolClient> clients, PoolerConfig config, DatabaseConfig db, long now,
                                        long queryTimeout) {
        for (PoolClient c : clients) {
            long age = now - c.entry().sinceNanos();
            long waitTimeout = config.queryWaitTimeout(db, c.user()).toNanos();
            if (queryTimeout > 0 && age > queryTimeout) {
                c.fail(PgProtocol.PROTOCOL_VIOLATION, "query_timeout");
            } else if (waitTimeout > 0 && age > waitTimeout) {
                c.fail(PgProtocol.PROTOCOL_VIOLATION, "query_wait_timeout");
            }
        }
    }
}

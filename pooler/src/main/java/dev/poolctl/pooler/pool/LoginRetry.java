package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.protocol.PgProtocol;

/**
 * What a failed server login means for the pool's next one: with a host list, the next host is tried at once while
 * the round has hosts left ({@link HostList}); else the error is cached and new clients get it until the next
 * attempt ({@link ServerWelcome}: server_login_retry, or a short backoff while PostgreSQL is not accepting).
 *
 * <p>Logins that fail before PostgreSQL has a say (refused or timed-out connects, TLS refused by the server, a
 * certificate that does not verify, a connection closed without a word) tell no waiting client, as PgBouncer's
 * disconnect_server in SV_LOGIN: they wait for the next attempt, until their own connect timeout or
 * query_wait_timeout.
 */
public final class LoginRetry {
    private LoginRetry() {}

    /**
     * A login to {@code server}'s host failed; {@code notAccepting}: PostgreSQL was not there to answer (see
     * {@link #notAccepting}). True when the next host of the list is tried now instead.
     */
    static boolean hostFailed(Pool pool, PoolServer server, String message, boolean notAccepting) {
        return hostFailed(pool, server, null, message, notAccepting);
    }

    /**
     * {@code severity}: of PostgreSQL's ErrorResponse (null when the pooler failed the login itself), logged before
     * the message as PgBouncer's kill_pool_logins_server_error does ({@code server login failed: FATAL ...}).
     */
    static boolean hostFailed(Pool pool, PoolServer server, String severity, String message, boolean notAccepting) {
        pool.welcome().countFailure();
        String logged = " server login failed: " + (severity == null ? "" : severity + " ") + message;
        if (pool.hosts().failed(pool.database(), server.host())) {
            pool.log().warning(server.prefix() + logged + "; trying the next host");
            return true;
        }
        pool.welcome().loginFailed(message, pool.manager().clock().nanoTime(), notAccepting);
        pool.log().warning(server.prefix() + logged);
        return false;
    }

    /**
     * The SQLSTATEs of a PostgreSQL that is not accepting connections: a failed connect (ours), a server starting,
     * shutting down or in recovery (57P0x), and a server of the wrong role for target_session_attrs (reported as a
     * failed connect too). Anything else is an answer that the next attempt would get again, including a login the
     * pooler could not complete (08P01: no password for the server's method, a bad SCRAM answer, no SQLSTATE).
     */
    static boolean notAccepting(String sqlState) {
        return PgProtocol.CONNECTION_FAILURE.equals(sqlState) || sqlState.startsWith("57P0");
    }

    /**
     * TLS refused by the server or a certificate that does not verify: the reason goes to the log and the cache
     * (for server_login_retry: the next attempt would fail alike); the waiting clients keep waiting. A server the
     * pool closed itself (KILL, connect timeout, shutdown) in the middle of its handshake is not a failure.
     */
    public static void failedBeforeLogin(Pool pool, PoolServer server, String message) {
        assert pool.manager().onLoop();
        if (server.state() == ServerState.CLOSED) {
            return;
        }
        hostFailed(pool, server, message, false);
    }

    /**
     * The server's connection closed in the middle of its login without an ErrorResponse: PostgreSQL crashed or was
     * stopped at that moment, or something in front of it (a proxy, a load balancer with no backend) accepted the
     * connection and closed it. A failed login, as PgBouncer's disconnect_server in SV_LOGIN sets last_connect_failed:
     * without it the pool would reconnect at once, in a loop, for as long as the closing goes on. PostgreSQL gave no
     * answer, so the next attempt comes after the short backoff; the waiting clients wait for it.
     */
    public static void closedDuringLogin(Pool pool, PoolServer server) {
        assert pool.manager().onLoop();
        if (server.state() == ServerState.LOGIN) { // not one the pool closed itself (KILL, connect timeout)
            hostFailed(pool, server, "server conn crashed?", true);
        }
    }

    /**
     * New server TLS settings make the cached errors stale (they were about the old CA or mode): the next client
     * tries at once instead of being told of the old failure for server_login_retry.
     */
    public static void forgetErrors(PoolManager manager) {
        assert manager.onLoop();
        for (Pool p : manager.pools()) {
            p.welcome().forgetLoginError();
        }
    }
}

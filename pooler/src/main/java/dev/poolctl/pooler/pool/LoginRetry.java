package dev.poolctl.pooler.pool;

/**
 * Server logins that fail before PostgreSQL has a say: TLS refused by the server, or a certificate that does not
 * verify. PgBouncer (disconnect_server in SV_LOGIN) sends no error to the clients waiting for such a login: it
 * caches the reason for server_login_retry and tries again, so they wait until their own connect timeout or
 * query_wait_timeout, while a client arriving in the meantime gets the cached reason.
 */
public final class LoginRetry {
    private LoginRetry() {}

    /**
     * The reason goes to the log and the cache; the waiting clients keep waiting for the next attempt. A server
     * the pool closed itself (KILL, connect timeout, shutdown) in the middle of its handshake is not a failure.
     */
    public static void failedBeforeLogin(Pool pool, PoolServer server, String message) {
        assert pool.manager().onLoop();
        if (server.state() == ServerState.CLOSED) {
            return;
        }
        pool.loginFailed(message, pool.manager().clock().nanoTime());
        pool.log().warning(server.prefix() + " server login failed: " + message);
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

package dev.poolctl.pooler.pool;

import java.time.Duration;

/**
 * Why a pool's clients wait for a server (SHOW WAITS, {@code poolctl why}): the limit or state that keeps the
 * pool from handing out or opening one now, the first that applies in the order PgBouncer's own checks run (pause,
 * failed logins, logins in progress, pool_size and the reserve pool, max_db_connections, max_user_connections).
 * {@link #cause} is a fixed word a tool can match on; {@link #detail} the numbers behind it. The same words are what
 * the client infers for a PgBouncer, which has no such command.
 */
public record WaitCause(String cause, String detail) {
    public static final String PAUSED = "paused";
    public static final String SUSPENDED = "suspended";
    public static final String SERVER_LOGIN_FAILING = "server_login_failing";
    public static final String SERVER_LOGIN = "server_login";
    public static final String POOL_SIZE = "pool_size";
    public static final String RESERVE_POOL = "reserve_pool";
    public static final String MAX_DB_CONNECTIONS = "max_db_connections";
    public static final String MAX_USER_CONNECTIONS = "max_user_connections";
    public static final String SERVER_RELEASE = "server_release";

    /** The cause for {@code pool}'s waiting clients, read on its loop; null when none waits. */
    public static WaitCause of(Pool pool) {
        if (pool.queuedCount() == 0) { // SHOW POOLS' cl_waiting: clients waiting for a server, and for the first login
            return null;
        }
        PoolManager manager = pool.manager();
        String db = pool.key().database();
        if (manager.isPaused(db)) {
            return switch (manager.pauseMode()) {
                case SUSPEND -> new WaitCause(SUSPENDED, "SUSPEND: nothing is served until RESUME");
                case PAUSE -> new WaitCause(PAUSED, "PAUSE: servers are handed out again after RESUME");
                default -> new WaitCause(PAUSED, "PAUSE " + db + " (or KILL " + db + "): servers are handed out again"
                        + " after RESUME " + db);
            };
        }
        PoolSettings s = pool.settings();
        String failed = pool.welcome().failedSinceLogin();
        int servers = pool.serverCount();
        if (failed != null && servers - pool.loginCount() == 0) {
            return new WaitCause(SERVER_LOGIN_FAILING, "no server login has succeeded since: " + failed
                    + " (tried again every server_login_retry, " + seconds(s.loginRetryNanos()) + ")");
        }
        if (pool.loginCount() > 0) {
            return new WaitCause(SERVER_LOGIN, pool.loginCount() + " server(s) connecting or logging in");
        }
        int size = s.poolSize();
        int reserve = s.reservePoolSize();
        if (servers >= size) {
            Duration timeout = manager.config().general().reservePoolTimeout();
            if (reserve > 0 && !timeout.isZero() && servers < size + reserve) {
                return new WaitCause(POOL_SIZE, "servers " + servers + " of pool_size " + size + "; reserve_pool (" + reserve
                        + ") opens once a client has waited reserve_pool_timeout (" + seconds(timeout.toNanos()) + ")");
            }
            if (reserve > 0 && servers >= size + reserve) {
                return new WaitCause(RESERVE_POOL, "servers " + servers + ": pool_size " + size + " and reserve_pool "
                        + reserve + " all in use");
            }
            return new WaitCause(POOL_SIZE, "servers " + servers + " of pool_size " + size + busy(pool));
        }
        int maxDb = manager.config().maxDbConnections(pool.database());
        if (maxDb > 0 && !manager.limits().allow(pool.database(), null)) {
            return new WaitCause(MAX_DB_CONNECTIONS, "max_db_connections " + maxDb + " reached by database " + db
                    + " (the servers of every user's pool count)");
        }
        String user = pool.key().user();
        int maxUser = manager.config().maxUserConnections(user);
        if (maxUser > 0 && !manager.limits().allow(null, user)) {
            return new WaitCause(MAX_USER_CONNECTIONS, "max_user_connections " + maxUser + " reached by user " + user
                    + " (the servers of every database count)");
        }
        return new WaitCause(SERVER_RELEASE, "servers " + servers + " of pool_size " + size + busy(pool)
                + "; a server is being opened or released");
    }

    private static String busy(Pool pool) {
        return " (sv_active " + pool.activeCount() + ", sv_used " + (pool.usedCount() - pool.testedCount())
                + ", sv_tested " + pool.testedCount() + ", sv_idle " + pool.idleCount() + ")";
    }

    private static String seconds(long nanos) {
        double s = nanos / 1e9;
        return s == Math.rint(s) ? (long) s + " s" : String.format(java.util.Locale.ROOT, "%.1f s", s);
    }
}

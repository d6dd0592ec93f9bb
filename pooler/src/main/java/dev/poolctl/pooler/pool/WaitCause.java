package dev.poolctl.pooler.pool;


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
                case SUSPEND -> suspended();
                case PAUSE -> paused(null);
                default -> paused(db);
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
            return serverLogin(pool.loginCount());
        }
        String busy = busy(pool.activeCount(), pool.usedCount() - pool.testedCount(), pool.testedCount(),
                pool.idleCount());
        if (servers >= s.poolSize()) {
            return poolFull(servers, s.poolSize(), s.reservePoolSize(),
                    manager.config().general().reservePoolTimeout().toNanos(), busy);
        }
        int maxDb = manager.config().maxDbConnections(pool.database());
        if (maxDb > 0 && !manager.limits().allow(pool.database(), null)) {
            return maxDbConnections(maxDb, db);
        }
        String user = pool.key().user();
        int maxUser = manager.config().maxUserConnections(user);
        if (maxUser > 0 && !manager.limits().allow(null, user)) {
            return maxUserConnections(maxUser, user);
        }
        return new WaitCause(SERVER_RELEASE, "servers " + servers + " of pool_size " + s.poolSize() + busy
                + "; a server is being opened or released");
    }

    // The causes with their words, shared with what the client infers for a PgBouncer (client.WhyWaiting).

    public static WaitCause suspended() {
        return new WaitCause(SUSPENDED, "SUSPEND: nothing is served until RESUME");
    }

    /** PAUSE of every database ({@code db} null), or PAUSE db / KILL db. */
    public static WaitCause paused(String db) {
        return new WaitCause(PAUSED, db == null ? "PAUSE: servers are handed out again after RESUME"
                : "PAUSE " + db + " (or KILL " + db + "): servers are handed out again after RESUME " + db);
    }

    public static WaitCause serverLogin(long loggingIn) {
        return new WaitCause(SERVER_LOGIN, loggingIn + " server(s) connecting or logging in");
    }

    /**
     * The pool has {@code servers} of its {@code size}: pool_size (saying when the reserve pool opens), or
     * reserve_pool when that is in use too; {@code busy} is {@link #busy}'s text.
     */
    public static WaitCause poolFull(long servers, long size, long reserve, long reserveTimeoutNanos, String busy) {
        if (reserve > 0 && reserveTimeoutNanos > 0 && servers < size + reserve) {
            return new WaitCause(POOL_SIZE, "servers " + servers + " of pool_size " + size + "; reserve_pool (" + reserve
                    + ") opens once a client has waited reserve_pool_timeout (" + seconds(reserveTimeoutNanos) + ")");
        }
        if (reserve > 0 && servers >= size + reserve) {
            return new WaitCause(RESERVE_POOL, "servers " + servers + ": pool_size " + size + " and reserve_pool "
                    + reserve + " all in use");
        }
        return new WaitCause(POOL_SIZE, "servers " + servers + " of pool_size " + size + busy);
    }

    public static WaitCause maxDbConnections(long max, String db) {
        return new WaitCause(MAX_DB_CONNECTIONS, "max_db_connections " + max + " reached by database " + db
                + " (the servers of every user's pool count)");
    }

    public static WaitCause maxUserConnections(long max, String user) {
        return new WaitCause(MAX_USER_CONNECTIONS, "max_user_connections " + max + " reached by user " + user
                + " (the servers of every database count)");
    }

    /** How the pool's servers are busy, as SHOW POOLS counts them. */
    public static String busy(long active, long used, long tested, long idle) {
        return " (sv_active " + active + ", sv_used " + used + ", sv_tested " + tested + ", sv_idle " + idle + ")";
    }

    private static String seconds(long nanos) {
        double s = nanos / 1e9;
        return s == Math.rint(s) ? (long) s + " s" : String.format(java.util.Locale.ROOT, "%.1f s", s);
    }
}

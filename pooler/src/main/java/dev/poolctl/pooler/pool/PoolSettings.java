package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.PoolMode;
import dev.poolctl.pooler.config.PoolerConfig;

/**
 * The settings one pool acts on, resolved once per configuration ({@code [users]} over {@code [databases]} over
 * {@code [pgbouncer]}, as PoolerConfig orders them): the transaction path reads plain fields, not config maps.
 *
 * @param checkQuery server_check_query as sent ("" for PgBouncer's {@code <empty>}), or null when checks are off
 * @param resetQuery server_reset_query, or null when there is none
 * @param queryTimeoutNanos query_timeout of the pool's servers (its user's, else the global one); 0 = off
 * @param idleTransactionTimeoutNanos idle_transaction_timeout of the pool's servers; 0 = off
 * @param transactionTimeoutNanos transaction_timeout of the pool's servers; 0 = off
 * @param clientIdleCheck whether client_idle_timeout can apply to any client (a client's own user decides how long:
 *     in a database with a forced user, clients of one pool log in as several users)
 */
record PoolSettings(PoolMode mode, int poolSize, int reservePoolSize, int minPoolSize, long lifetimeNanos,
                    boolean roundRobin, String checkQuery, long checkDelayNanos, String resetQuery,
                    boolean resetAlways, int maxPreparedStatements, long loginRetryNanos, int maxPacketSize,
                    long queryTimeoutNanos, long idleTransactionTimeoutNanos, long transactionTimeoutNanos,
                    boolean clientIdleCheck) {

    static PoolSettings resolve(PoolerConfig config, DatabaseConfig db, String user) {
        GeneralSettings g = config.general();
        String check = g.serverCheckQuery();
        String reset = g.serverResetQuery();
        return new PoolSettings(config.poolMode(db, user), config.poolSize(db, user),
                config.reservePoolSize(db, user), config.minPoolSize(db), config.serverLifetime(db).toNanos(),
                g.serverRoundRobin(), check == null || check.isEmpty() ? null : check.equals("<empty>") ? "" : check,
                g.serverCheckDelay().toNanos(), reset == null || reset.isBlank() ? null : reset,
                g.serverResetQueryAlways(), g.maxPreparedStatements(), g.serverLoginRetry().toNanos(),
                g.maxPacketSize(), config.queryTimeout(user).toNanos(), config.idleTransactionTimeout(user).toNanos(),
                config.transactionTimeout(user).toNanos(),
                !g.clientIdleTimeout().isZero() || config.anyUserClientIdleTimeout());
    }

    /** PgBouncer's janitor period (full_maint_period): how soon it looks at a server that went idle. */
    private static final long JANITOR_PERIOD_NANOS = 1_000_000_000L / 3;

    /**
     * Whether an idle server gets server_check_query before a client may have it: idle longer than
     * server_check_delay. One fresh from its login, which proved it alive, is not checked before PgBouncer's janitor
     * would have looked at it: PgBouncer hands a server that logs in to the waiting client unchecked (release_server
     * from SV_LOGIN) and tests only released servers (server_check_delay = 0) or ones its janitor found idle.
     */
    boolean dueForCheck(PoolServer s, long now) {
        long idle = now - s.lastUsedNanos();
        return checkQuery != null && idle > checkDelayNanos && (!s.neverUsed() || idle > JANITOR_PERIOD_NANOS);
    }

    /** server_lifetime over; 0 is PgBouncer's "used only once": over once released or checked. */
    boolean lifetimeOver(PoolServer s, long now) {
        return lifetimeNanos > 0 ? now - s.connectNanos() > lifetimeNanos : !s.neverUsed();
    }
}

package dev.poolctl.tui.model;

import dev.poolctl.client.WhyWaiting;
import dev.poolctl.tui.source.Row;

/**
 * One SHOW POOLS row with what the dashboard adds: the database's pool size and pause state (SHOW DATABASES), its
 * rates (SHOW STATS is per database, so every user's pool of a database shows the database's tps), and why its
 * clients wait ({@code why}: poolctl's SHOW WAITS, or inferred for a PgBouncer; null when none waits).
 */
public record PoolRow(String database, String user, String poolMode, long clActive, long clWaiting, long svActive,
        long svIdle, long svUsed, long svTested, long svLogin, double maxwaitSeconds, int poolSize, boolean paused,
        double tps, double waitP50Us, double waitP99Us, WhyWaiting.Row why) {

    /** The admin console's own pool; it never saturates or waits for servers in a way an operator acts on. */
    public static final String ADMIN_DATABASE = "pgbouncer";

    /** A pool without poolctl's wait histogram (a PgBouncer target): p50 and p99 wait unknown. */
    public static PoolRow of(Row pool, Row database, DatabaseRates rates) {
        return of(pool, database, rates, null, null);
    }

    /** {@code waitHistogram}: the pool's {@code wait} row of poolctl's SHOW HISTOGRAMS, or null. */
    public static PoolRow of(Row pool, Row database, DatabaseRates rates, Row waitHistogram, WhyWaiting.Row why) {
        int size = database == null ? -1 : (int) database.number("pool_size", -1);
        boolean paused = database != null
                && (database.number("paused", 0) != 0 || database.number("disabled", 0) != 0);
        return new PoolRow(pool.text("database", ""), pool.text("user", ""), pool.text("pool_mode", ""),
                pool.number("cl_active"), pool.number("cl_waiting"), pool.number("sv_active"),
                pool.number("sv_idle"), pool.number("sv_used"), pool.number("sv_tested"), pool.number("sv_login"),
                pool.number("maxwait") + pool.number("maxwait_us") / 1_000_000.0, size, paused,
                rates == null ? Double.NaN : rates.tps(),
                waitHistogram == null ? Double.NaN : waitHistogram.number("p50_us", -1),
                waitHistogram == null ? Double.NaN : waitHistogram.number("p99_us", -1), why);
    }

    /** The cause word of SHOW WAITS, or "" when no client waits. */
    public String waitCause() {
        return why == null ? "" : why.cause();
    }

    public String key() {
        return database + "/" + user;
    }

    public long servers() {
        return svActive + svIdle + svUsed + svTested + svLogin;
    }

    /** sv_active over pool_size: how close the pool is to making clients wait. NaN when the size is unknown. */
    public double saturation() {
        return poolSize <= 0 ? Double.NaN : (double) svActive / poolSize;
    }

    public boolean isAdmin() {
        return ADMIN_DATABASE.equals(database);
    }

    /** For sorting and filtering by column key. */
    public Object value(String key) {
        return switch (key) {
            case "database" -> database;
            case "user" -> user;
            case "pool_mode" -> poolMode;
            case "cl_active" -> clActive;
            case "cl_waiting" -> clWaiting;
            case "sv_active" -> svActive;
            case "sv_idle" -> svIdle;
            case "sv_used" -> svUsed;
            case "sv_tested" -> svTested;
            case "sv_login" -> svLogin;
            case "maxwait" -> maxwaitSeconds;
            case "pool_size" -> (long) poolSize;
            case "saturation" -> Double.isNaN(saturation()) ? -1.0 : saturation();
            case "tps" -> Double.isNaN(tps) ? -1.0 : tps;
            case "wait_p50" -> Double.isNaN(waitP50Us) ? -1.0 : waitP50Us;
            case "wait_p99" -> Double.isNaN(waitP99Us) ? -1.0 : waitP99Us;
            case "why" -> waitCause();
            default -> null;
        };
    }
}

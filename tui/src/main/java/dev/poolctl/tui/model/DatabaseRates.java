package dev.poolctl.tui.model;

/**
 * One database's activity over the last interval, from two SHOW STATS rows: per-second rates and average times in
 * microseconds (not PgBouncer's averages over stats_period). NaN means unknown: the first sample, or the counters
 * went backwards (the pooler restarted or the database was re-added), which {@code reset} tells.
 */
public record DatabaseRates(String database, double tps, double qps, double receivedPerSecond, double sentPerSecond,
        double avgXactMicros, double avgQueryMicros, double avgWaitMicros, boolean reset,
        long totalXacts, long totalQueries) {

    public static DatabaseRates unknown(String database, boolean reset, long totalXacts, long totalQueries) {
        return new DatabaseRates(database, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, reset, totalXacts, totalQueries);
    }

    public boolean known() {
        return !Double.isNaN(tps);
    }

    /** For sorting and filtering by column key. */
    public Object value(String key) {
        return switch (key) {
            case "database" -> database;
            case "tps" -> tps;
            case "qps" -> qps;
            case "recv/s" -> receivedPerSecond;
            case "sent/s" -> sentPerSecond;
            case "xact_us" -> avgXactMicros;
            case "query_us" -> avgQueryMicros;
            case "wait_us" -> avgWaitMicros;
            case "xacts" -> totalXacts;
            case "queries" -> totalQueries;
            default -> null;
        };
    }
}

package dev.poolctl.pooler.stats;

/** An immutable copy of a pool's counters; sums and averages as PgBouncer's stat_add and calc_average. */
public record StatsSnapshot(
        long serverAssignmentCount, long xactCount, long queryCount, long clientBytes, long serverBytes,
        long xactTimeUs, long queryTimeUs, long waitTimeUs, long clientParseCount, long serverParseCount,
        long bindCount, long clientLoginCount) {

    public static final StatsSnapshot ZERO = new StatsSnapshot(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

    public StatsSnapshot plus(StatsSnapshot o) {
        return new StatsSnapshot(serverAssignmentCount + o.serverAssignmentCount, xactCount + o.xactCount,
                queryCount + o.queryCount, clientBytes + o.clientBytes, serverBytes + o.serverBytes,
                xactTimeUs + o.xactTimeUs, queryTimeUs + o.queryTimeUs, waitTimeUs + o.waitTimeUs,
                clientParseCount + o.clientParseCount, serverParseCount + o.serverParseCount, bindCount + o.bindCount,
                clientLoginCount + o.clientLoginCount);
    }

    /**
     * Per-second rates of the counts and per-event averages of the times between {@code older} and this, over
     * {@code micros} microseconds: PgBouncer's calc_average (query time per query, xact time per transaction,
     * wait time per server assignment).
     */
    public StatsSnapshot averageSince(StatsSnapshot older, long micros) {
        if (micros <= 0) {
            return ZERO;
        }
        long queries = queryCount - older.queryCount;
        long xacts = xactCount - older.xactCount;
        long assignments = serverAssignmentCount - older.serverAssignmentCount;
        return new StatsSnapshot(
                rate(assignments, micros), rate(xacts, micros), rate(queries, micros),
                rate(clientBytes - older.clientBytes, micros), rate(serverBytes - older.serverBytes, micros),
                xacts > 0 ? (xactTimeUs - older.xactTimeUs) / xacts : 0,
                queries > 0 ? (queryTimeUs - older.queryTimeUs) / queries : 0,
                assignments > 0 ? (waitTimeUs - older.waitTimeUs) / assignments : 0,
                rate(clientParseCount - older.clientParseCount, micros),
                rate(serverParseCount - older.serverParseCount, micros),
                rate(bindCount - older.bindCount, micros),
                rate(clientLoginCount - older.clientLoginCount, micros));
    }

    private static long rate(long delta, long micros) {
        return delta * 1_000_000L / micros;
    }
}

package dev.poolctl.pooler.stats;

/**
 * A pool's counters, PgBouncer's PgStats: plain fields written on the pool's event loop (no atomics on the hot
 * path), plus the two snapshots that averages are computed from (stats.c: stats, newer_stats, older_stats).
 * Times are in microseconds, as PgBouncer reports them.
 */
public final class PoolStats {
    public long serverAssignmentCount;
    public long xactCount;
    public long queryCount;
    /** Bytes received from clients (total_received). */
    public long clientBytes;
    /** Bytes sent to clients (total_sent). */
    public long serverBytes;
    public long xactTimeUs;
    public long queryTimeUs;
    public long waitTimeUs;
    public long clientParseCount;
    public long serverParseCount;
    public long bindCount;
    public long clientLoginCount;

    private StatsSnapshot newer = StatsSnapshot.ZERO;
    private StatsSnapshot older = StatsSnapshot.ZERO;

    public StatsSnapshot current() {
        return new StatsSnapshot(serverAssignmentCount, xactCount, queryCount, clientBytes, serverBytes, xactTimeUs,
                queryTimeUs, waitTimeUs, clientParseCount, serverParseCount, bindCount, clientLoginCount);
    }

    /** The counters as of the period before the last one: averages are current minus this, over the time since. */
    public StatsSnapshot older() {
        return older;
    }

    /** Called every stats_period (PgBouncer's refresh_stats). */
    public void rotate() {
        older = newer;
        newer = current();
    }
}

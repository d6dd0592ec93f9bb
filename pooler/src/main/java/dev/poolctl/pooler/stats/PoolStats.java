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
    /** How long clients waited for a server (0 when one was idle), each query and each transaction took. */
    public final LatencyHistogram waitTimes = new LatencyHistogram();
    public final LatencyHistogram queryTimes = new LatencyHistogram();
    public final LatencyHistogram xactTimes = new LatencyHistogram();

    private StatsSnapshot newer = StatsSnapshot.ZERO;
    private StatsSnapshot older = StatsSnapshot.ZERO;

    /** A client got a server after waiting {@code waitUs} (0: one was idle). */
    public void assigned(long waitUs) {
        serverAssignmentCount++;
        waitTimeUs += waitUs;
        waitTimes.record(waitUs);
    }

    /** A query ended (its ReadyForQuery) after {@code us}. */
    public void query(long us) {
        queryCount++;
        queryTimeUs += us;
        queryTimes.record(us);
    }

    /** A transaction ended after {@code us}. */
    public void xact(long us) {
        xactCount++;
        xactTimeUs += us;
        xactTimes.record(us);
    }

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

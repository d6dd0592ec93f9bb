package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.stats.StatsSnapshot;
import java.util.Collection;

/**
 * Every stats_period the pools' counters are snapshot, and SHOW STATS averages span the last two snapshots
 * (PgBouncer's refresh_stats); the stats log line comes from here.
 */
public final class StatsRotation {
    private final Clock clock;
    /** When the snapshots were last rotated, and the time before: averages span from the older stamp. */
    private long oldStampNanos;
    private long newStampNanos;

    StatsRotation(Clock clock) {
        this.clock = clock;
        this.newStampNanos = clock.nanoTime();
        this.oldStampNanos = newStampNanos - 1_000_000_000L;
    }

    /** One loop's pools summed at a rotation: the stats line adds up every loop's. */
    public record Rotated(StatsSnapshot current, StatsSnapshot older, long micros) {}

    /** Rotates every pool's snapshots and returns their sums. */
    Rotated tick(Collection<Pool> pools) {
        oldStampNanos = newStampNanos;
        newStampNanos = clock.nanoTime();
        StatsSnapshot current = StatsSnapshot.ZERO;
        StatsSnapshot older = StatsSnapshot.ZERO;
        for (Pool p : pools) {
            p.stats().rotate();
            current = current.plus(p.stats().current());
            older = older.plus(p.stats().older());
        }
        return new Rotated(current, older, micros());
    }

    /** PgBouncer's stats line (log_stats), over every loop's pools. */
    public static void log(PoolerLog log, java.util.List<Rotated> loops) {
        StatsSnapshot current = StatsSnapshot.ZERO;
        StatsSnapshot older = StatsSnapshot.ZERO;
        for (Rotated r : loops) {
            current = current.plus(r.current());
            older = older.plus(r.older());
        }
        var a = current.averageSince(older, loops.get(0).micros());
        log.log("stats: " + a.xactCount() + " xacts/s, " + a.queryCount() + " queries/s, "
                + a.clientParseCount() + " client parses/s, " + a.serverParseCount() + " server parses/s, "
                + a.bindCount() + " binds/s, in " + a.clientBytes() + " B/s, out " + a.serverBytes() + " B/s, xact "
                + a.xactTimeUs() + " us, query " + a.queryTimeUs() + " us, wait " + a.waitTimeUs() + " us");
    }

    /** Microseconds that averages are computed over (now minus the older snapshot's time). */
    public long micros() {
        return (clock.nanoTime() - oldStampNanos) / 1_000;
    }
}

package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.stats.PoolStats;
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
    /**
     * The admin console's counts, PgBouncer's admin pool (database pgbouncer): a query and a transaction for each
     * console connection that sends one, as client.c counts them (the console never resets query_start, so only the
     * connection's first query counts).
     */
    private final PoolStats console = new PoolStats();

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
        console.rotate();
        StatsSnapshot current = console.current();
        StatsSnapshot older = console.older();
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

    public PoolStats console() {
        return console;
    }

    /** Microseconds that averages are computed over (now minus the older snapshot's time). */
    public long micros() {
        return (clock.nanoTime() - oldStampNanos) / 1_000;
    }
}

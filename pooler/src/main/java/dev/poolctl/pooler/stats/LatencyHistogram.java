package dev.poolctl.pooler.stats;

/**
 * Counts of durations in fixed buckets (PgBouncer has only sums and averages, so a few slow transactions hide in
 * a good average; PgBouncer issues 168 and 1588 ask for this). Written on the pool's event loop with no allocation
 * and at most {@link #BOUNDS_US}.length comparisons; read by the console and /metrics on the same loop.
 */
public final class LatencyHistogram {
    /**
     * Upper bounds of the buckets in microseconds, inclusive, as Prometheus's {@code le}; a last bucket takes the
     * rest. From 100 us (a pooled SELECT on loopback) to 10 s, about three per decade.
     */
    public static final long[] BOUNDS_US = {100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000, 50_000, 100_000,
        250_000, 500_000, 1_000_000, 2_500_000, 5_000_000, 10_000_000};

    /** Per bucket, not cumulative; the last one is above every bound. */
    private final long[] counts = new long[BOUNDS_US.length + 1];
    private long count;
    private long sumUs;
    private long maxUs;

    public void record(long us) {
        int i = 0;
        while (i < BOUNDS_US.length && us > BOUNDS_US[i]) {
            i++;
        }
        counts[i]++;
        count++;
        sumUs += us;
        if (us > maxUs) {
            maxUs = us;
        }
    }

    public long count() {
        return count;
    }

    public long sumUs() {
        return sumUs;
    }

    public long maxUs() {
        return maxUs;
    }

    /** Durations up to {@code BOUNDS_US[i]} (cumulative, as Prometheus's buckets); {@code i == BOUNDS_US.length}: all. */
    public long cumulative(int i) {
        long n = 0;
        for (int b = 0; b <= i; b++) {
            n += counts[b];
        }
        return n;
    }

    /**
     * The {@code q} quantile (0 < q <= 1) as the upper bound of the bucket it falls in, in microseconds: an upper
     * estimate, at most one bucket (a factor of 2.5) high. Above the last bound, the longest duration seen. 0 when
     * nothing was recorded.
     */
    public long quantileUs(double q) {
        if (count == 0) {
            return 0;
        }
        long rank = (long) Math.ceil(q * count);
        long seen = 0;
        for (int i = 0; i < BOUNDS_US.length; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return Math.min(BOUNDS_US[i], maxUs);
            }
        }
        return maxUs;
    }
}

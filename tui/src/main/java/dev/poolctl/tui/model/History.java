package dev.poolctl.tui.model;

import java.util.HashMap;
import java.util.Map;

/**
 * tps and cl_waiting per pool over the last samples, for the sparklines. Survives reconnects: a lost connection
 * adds no samples, it does not clear them.
 */
public final class History {
    /** Ten minutes at the default one-second interval. */
    public static final int CAPACITY = 600;

    private final Map<String, Series> tps = new HashMap<>();
    private final Map<String, Series> waiting = new HashMap<>();

    public void record(PoolRow pool) {
        tps.computeIfAbsent(pool.key(), k -> new Series(CAPACITY)).add(Double.isNaN(pool.tps()) ? 0 : pool.tps());
        waiting.computeIfAbsent(pool.key(), k -> new Series(CAPACITY)).add(pool.clWaiting());
    }

    public double[] tps(String poolKey, int n) {
        Series s = tps.get(poolKey);
        return s == null ? new double[0] : s.last(n);
    }

    public double[] waiting(String poolKey, int n) {
        Series s = waiting.get(poolKey);
        return s == null ? new double[0] : s.last(n);
    }
}

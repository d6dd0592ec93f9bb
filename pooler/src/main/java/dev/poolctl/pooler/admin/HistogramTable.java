package dev.poolctl.pooler.admin;

import static dev.poolctl.pooler.admin.ResultSetWriter.int8;
import static dev.poolctl.pooler.admin.ResultSetWriter.text;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.stats.LatencyHistogram;
import dev.poolctl.pooler.stats.PoolStats;
import java.util.ArrayList;
import java.util.List;

/**
 * SHOW HISTOGRAMS (poolctl's own): per pool, how long clients waited for a server, and how long queries and
 * transactions took, as counts per bucket (cumulative, as Prometheus's {@code le}) with percentiles read from them.
 * One row per pool and kind: {@code wait}, {@code query}, {@code xact}.
 */
final class HistogramTable {
    private HistogramTable() {}

    static List<ResultSetWriter.Column> columns() {
        List<ResultSetWriter.Column> columns = new ArrayList<>(List.of(text("database"), text("user"),
                text("histogram"), int8("count"), int8("sum_us"), int8("max_us"), int8("p50_us"), int8("p90_us"),
                int8("p99_us")));
        for (long bound : LatencyHistogram.BOUNDS_US) {
            columns.add(int8("le_" + label(bound)));
        }
        columns.add(int8("le_inf"));
        return columns;
    }

    /** {@code 250us}, {@code 2.5ms}, {@code 10s}: the bucket's bound as its column name says it. */
    static String label(long us) {
        if (us < 1_000) {
            return us + "us";
        }
        if (us < 1_000_000) {
            return decimal(us, 1_000) + "ms";
        }
        return decimal(us, 1_000_000) + "s";
    }

    private static String decimal(long us, long unit) {
        return us % unit == 0 ? Long.toString(us / unit) : java.math.BigDecimal.valueOf(us).divide(
                java.math.BigDecimal.valueOf(unit)).stripTrailingZeros().toPlainString();
    }

    static Table of(PoolManager manager) {
        List<ResultSetWriter.Column> columns = columns();
        Table rs = new Table(columns);
        for (Pool p : manager.pools()) {
            PoolStats stats = p.stats();
            row(rs, columns.size(), p, "wait", stats.waitTimes);
            row(rs, columns.size(), p, "query", stats.queryTimes);
            row(rs, columns.size(), p, "xact", stats.xactTimes);
        }
        return rs;
    }

    private static void row(Table rs, int width, Pool p, String kind, LatencyHistogram h) {
        Object[] row = new Object[width];
        row[0] = p.key().database();
        row[1] = p.key().user();
        row[2] = kind;
        row[3] = h.count();
        row[4] = h.sumUs();
        row[5] = h.maxUs();
        row[6] = h.quantileUs(0.50);
        row[7] = h.quantileUs(0.90);
        row[8] = h.quantileUs(0.99);
        for (int i = 0; i <= LatencyHistogram.BOUNDS_US.length; i++) {
            row[9 + i] = h.cumulative(i);
        }
        rs.row(row);
    }
}

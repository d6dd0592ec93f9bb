package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * poolctl's own histograms on {@code /metrics}, from SHOW HISTOGRAMS: per pool, client wait for a server, query and
 * transaction time in seconds, as Prometheus histograms (cumulative {@code _bucket{le}}, {@code _sum},
 * {@code _count}), so {@code histogram_quantile()} gives p50/p99 that the exporter's sums and averages cannot.
 */
final class HistogramMetrics {
    static final String TYPE = "histogram";

    /** SHOW HISTOGRAMS' {@code histogram} value to the metric and its HELP. */
    static final Map<String, String[]> FAMILIES = new LinkedHashMap<>();

    static {
        FAMILIES.put("wait", new String[] {"poolctl_pool_client_wait_seconds",
            "Time clients waited for a server connection, 0 when one was idle"});
        FAMILIES.put("query", new String[] {"poolctl_pool_query_seconds",
            "Time queries took, from the client's request to its ReadyForQuery"});
        FAMILIES.put("xact", new String[] {"poolctl_pool_transaction_seconds",
            "Time transactions took, from their first query to the ReadyForQuery that ended them"});
    }

    private static final double MICROS = 1e-6;

    private HistogramMetrics() {}

    static void write(PrometheusText out, ShowTables.Result histograms) {
        if (histograms == null || histograms.rows().isEmpty()) {
            return;
        }
        // the bucket columns: le_<bound> in order, then le_inf
        List<Integer> buckets = new ArrayList<>();
        List<String> les = new ArrayList<>();
        for (int c = 0; c < histograms.columns().size(); c++) {
            String name = histograms.columns().get(c).name();
            if (name.startsWith("le_")) {
                buckets.add(c);
                les.add(name.equals("le_inf") ? "+Inf" : seconds(name.substring(3)));
            }
        }
        int kind = histograms.column("histogram");
        int db = histograms.column("database");
        int user = histograms.column("user");
        int count = histograms.column("count");
        int sum = histograms.column("sum_us");
        for (Map.Entry<String, String[]> family : FAMILIES.entrySet()) {
            String name = family.getValue()[0];
            out.family(name, TYPE, family.getValue()[1]);
            for (Object[] row : histograms.rows()) {
                if (!family.getKey().equals(row[kind])) {
                    continue;
                }
                List<String> labels = List.of(String.valueOf(row[db]), String.valueOf(row[user]));
                for (int b = 0; b < buckets.size(); b++) {
                    out.sample(name + "_bucket", List.of("database", "user", "le"),
                            List.of(labels.get(0), labels.get(1), les.get(b)), ((Number) row[buckets.get(b)]).doubleValue());
                }
                out.sample(name + "_sum", List.of("database", "user"), labels, ((Number) row[sum]).doubleValue() * MICROS);
                out.sample(name + "_count", List.of("database", "user"), labels, ((Number) row[count]).doubleValue());
            }
        }
    }

    /** A column's bound ({@code 250us}, {@code 2.5ms}, {@code 10s}) as seconds in plain decimal ({@code 0.00025}). */
    static String seconds(String bound) {
        BigDecimal scale;
        String number;
        if (bound.endsWith("us")) {
            scale = new BigDecimal("0.000001");
            number = bound.substring(0, bound.length() - 2);
        } else if (bound.endsWith("ms")) {
            scale = new BigDecimal("0.001");
            number = bound.substring(0, bound.length() - 2);
        } else {
            scale = BigDecimal.ONE;
            number = bound.substring(0, bound.length() - 1);
        }
        return new BigDecimal(number).multiply(scale).stripTrailingZeros().toPlainString();
    }
}

package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** One {@code /metrics} answer: the exporter's metrics, then poolctl's histograms, counters and process metrics. */
final class MetricsPage {
    /** Every SHOW one scrape reads, each once. */
    static final List<String> SHOWS = Stream.of(ExporterMetrics.SHOWS, List.of("histograms"), PoolctlMetrics.SHOWS)
            .flatMap(List::stream).toList();

    private MetricsPage() {}

    /** Every family /metrics can carry, with its type: README's lists, checked by the tests. */
    static Map<String, String> types() {
        Map<String, String> types = new LinkedHashMap<>(ExporterMetrics.types());
        HistogramMetrics.FAMILIES.values().forEach(f -> types.put(f[0], HistogramMetrics.TYPE));
        types.putAll(PoolctlMetrics.types());
        ProcessMetrics.names().forEach(n -> types.put(n[0], n[1]));
        return types;
    }

    static String write(Map<String, ShowTables.Result> shows, Map<String, Long> clientLoginFailures) {
        PrometheusText out = new PrometheusText();
        ExporterMetrics.write(out, shows);
        HistogramMetrics.write(out, shows.get("histograms"));
        PoolctlMetrics.write(out, shows, clientLoginFailures);
        ProcessMetrics.write(out);
        return out.toString();
    }
}

package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.admin.ShowTables;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The exporter's mapping applied to SHOW answers built by hand (the real ones are checked by MetricsIT). */
class ExporterMetricsTest {
    /** pgbouncer_exporter's names (collector.go): README's Observability list is this one. */
    static final List<String> EXPORTER_NAMES = List.of("pgbouncer_up", "pgbouncer_version_info",
            "pgbouncer_databases", "pgbouncer_users", "pgbouncer_pools", "pgbouncer_free_clients",
            "pgbouncer_used_clients", "pgbouncer_login_clients", "pgbouncer_free_servers", "pgbouncer_used_servers",
            "pgbouncer_cached_dns_names", "pgbouncer_cached_dns_zones", "pgbouncer_in_flight_dns_queries",
            "pgbouncer_config_max_client_connections", "pgbouncer_config_max_user_connections",
            "pgbouncer_databases_pool_size", "pgbouncer_databases_reserve_pool", "pgbouncer_databases_max_connections",
            "pgbouncer_databases_current_connections", "pgbouncer_databases_paused", "pgbouncer_databases_disabled",
            "pgbouncer_stats_totals_queries_pooled_total", "pgbouncer_stats_totals_queries_duration_seconds_total",
            "pgbouncer_stats_totals_received_bytes_total", "pgbouncer_stats_totals_sent_bytes_total",
            "pgbouncer_stats_totals_client_wait_seconds_total", "pgbouncer_stats_totals_sql_transactions_pooled_total",
            "pgbouncer_stats_totals_server_in_transaction_seconds_total", "pgbouncer_stats_totals_client_parses_total",
            "pgbouncer_stats_totals_server_parses_total", "pgbouncer_stats_totals_binds_total",
            "pgbouncer_stats_totals_server_assignments_total",
            "pgbouncer_stats_queries_pooled_total", "pgbouncer_stats_queries_duration_seconds_total",
            "pgbouncer_stats_received_bytes_total", "pgbouncer_stats_sent_bytes_total",
            "pgbouncer_stats_client_wait_seconds_total", "pgbouncer_stats_sql_transactions_pooled_total",
            "pgbouncer_stats_server_in_transaction_seconds_total",
            "pgbouncer_pools_client_active_connections", "pgbouncer_pools_client_active_cancel_connections",
            "pgbouncer_pools_client_waiting_connections", "pgbouncer_pools_client_waiting_cancel_connections",
            "pgbouncer_pools_server_active_connections", "pgbouncer_pools_server_active_cancel_connections",
            "pgbouncer_pools_server_being_canceled_connections", "pgbouncer_pools_server_idle_connections",
            "pgbouncer_pools_server_used_connections", "pgbouncer_pools_server_testing_connections",
            "pgbouncer_pools_server_login_connections", "pgbouncer_pools_client_maxwait_seconds",
            "pgbouncer_client_connections");

    /** poolctl's own families beyond the exporter's, with their types: README's second list. */
    static final Map<String, String> POOLCTL_TYPES = Map.ofEntries(
            Map.entry("poolctl_pool_client_wait_seconds", "histogram"),
            Map.entry("poolctl_pool_query_seconds", "histogram"),
            Map.entry("poolctl_pool_transaction_seconds", "histogram"),
            Map.entry("poolctl_pool_client_logins_total", "counter"),
            Map.entry("poolctl_pool_server_logins_total", "counter"),
            Map.entry("poolctl_pool_server_login_failures_total", "counter"),
            Map.entry("poolctl_pool_server_login_failing", "gauge"),
            Map.entry("poolctl_pool_hazards_total", "counter"),
            Map.entry("poolctl_client_login_failures_total", "counter"),
            Map.entry("poolctl_jvm_heap_used_bytes", "gauge"),
            Map.entry("poolctl_jvm_heap_max_bytes", "gauge"),
            Map.entry("poolctl_netty_memory_used_bytes", "gauge"),
            Map.entry("poolctl_jvm_gc_seconds_total", "counter"));

    /** The exporter's process metrics (with --pgBouncer.pid-file), here of the pooler's own process. */
    static final List<String> PROCESS_NAMES = List.of("pgbouncer_process_cpu_seconds_total",
            "pgbouncer_process_open_fds", "pgbouncer_process_max_fds", "pgbouncer_process_virtual_memory_bytes",
            "pgbouncer_process_virtual_memory_max_bytes", "pgbouncer_process_resident_memory_bytes",
            "pgbouncer_process_start_time_seconds");

    @Test
    void everyExporterNameHasItsType() {
        Map<String, String> types = new java.util.TreeMap<>(MetricsPage.types());
        Map<String, String> ours = new java.util.TreeMap<>(types);
        types.keySet().removeIf(name -> !name.startsWith("pgbouncer_"));
        ours.keySet().removeIf(name -> name.startsWith("pgbouncer_"));
        List<String> exporter = new ArrayList<>(EXPORTER_NAMES);
        exporter.addAll(PROCESS_NAMES);
        assertEquals(exporter.stream().sorted().toList(), List.copyOf(types.keySet()));
        types.forEach((name, type) -> assertEquals(name.endsWith("_total") ? "counter" : "gauge", type, name));
        assertEquals(new java.util.TreeMap<>(POOLCTL_TYPES), ours, "poolctl's own families");
    }

    private static ShowTables.Result table(List<String> columns, Object[]... rows) {
        List<ShowTables.Column> cols = new ArrayList<>();
        for (String c : columns) {
            boolean text = c.startsWith("$");
            cols.add(new ShowTables.Column(text ? c.substring(1) : c, !text));
        }
        return new ShowTables.Result(cols, List.of(rows));
    }

    @Test
    void convertsMicrosecondsToSecondsAndLabelsRows() {
        Map<String, ShowTables.Result> shows = new LinkedHashMap<>();
        shows.put("version", table(List.of("$version"), new Object[] {"poolctl 0.1.0"}));
        shows.put("lists", table(List.of("$list", "items"), new Object[] {"pools", 3}, new Object[] {"dns_names", 0}));
        shows.put("config", table(List.of("$key", "$value", "$default", "$changeable"),
                new Object[] {"max_client_conn", "100", "100", "yes"}));
        shows.put("databases", table(List.of("$name", "$host", "port", "$database", "$force_user", "pool_size",
                "reserve_pool_size", "$pool_mode", "max_connections", "current_connections", "paused", "disabled"),
                new Object[] {"db", null, 5432, "db", null, 20, 0, null, 0, 2, 0, 0}));
        shows.put("stats_totals", table(List.of("$database", "query_count", "query_time", "wait_time"),
                new Object[] {"db\n\"x\"", 7L, 2_500_000L, 1L}));
        shows.put("stats", table(List.of("$database", "total_query_count"), new Object[] {"db", 7L}));
        shows.put("pools", table(List.of("$database", "$user", "cl_waiting", "maxwait"),
                new Object[] {"db", "u", 2, 1}));
        shows.put("clients", table(List.of("$type", "$user", "$database", "$state", "$application_name"),
                new Object[] {"C", "u", "db", "active", "app"}, new Object[] {"C", "u", "db", "waiting", ""},
                new Object[] {"C", "u", "db", "active", "app"}));
        PrometheusText out = new PrometheusText();
        ExporterMetrics.write(out, shows);
        String page = out.toString();
        assertTrue(page.startsWith("# HELP pgbouncer_up The pgbouncer scrape succeeded\n# TYPE pgbouncer_up gauge\n"
                + "pgbouncer_up 1\n"), page);
        assertTrue(page.contains("pgbouncer_version_info{version=\"poolctl 0.1.0\"} 1\n"), page);
        assertTrue(page.contains("\npgbouncer_pools 3\n"), page);
        assertTrue(page.contains("\npgbouncer_cached_dns_names 0\n"), page);
        assertTrue(page.contains("\npgbouncer_config_max_client_connections 100\n"), page);
        assertTrue(page.contains("pgbouncer_databases_current_connections{name=\"db\",host=\"\",port=\"5432\","
                + "database=\"db\",force_user=\"\",pool_mode=\"\"} 2\n"), page);
        assertTrue(page.contains("# TYPE pgbouncer_stats_totals_queries_duration_seconds_total counter\n"
                + "pgbouncer_stats_totals_queries_duration_seconds_total{database=\"db\\n\\\"x\\\"\"} 2.5\n"), page);
        assertTrue(page.contains("pgbouncer_stats_totals_client_wait_seconds_total{database=\"db\\n\\\"x\\\"\"} 1.0E-6\n"),
                page);
        assertTrue(page.contains("pgbouncer_stats_queries_pooled_total{database=\"db\"} 7\n"), page);
        assertTrue(page.contains("pgbouncer_pools_client_waiting_connections{database=\"db\",user=\"u\"} 2\n"), page);
        assertTrue(page.contains("pgbouncer_pools_client_maxwait_seconds{database=\"db\",user=\"u\"} 1\n"), page);
        assertTrue(page.contains("# TYPE pgbouncer_client_connections gauge\n"
                + "pgbouncer_client_connections{database=\"db\",user=\"u\",application_name=\"app\",state=\"active\"} 2\n"
                + "pgbouncer_client_connections{database=\"db\",user=\"u\",application_name=\"\",state=\"waiting\"} 1\n"),
                page);
    }

    @Test
    void aFamilyWithoutRowsIsNotWritten() {
        Map<String, ShowTables.Result> shows = new LinkedHashMap<>();
        shows.put("version", table(List.of("$version"), new Object[] {"poolctl"}));
        shows.put("lists", table(List.of("$list", "items")));
        shows.put("config", table(List.of("$key", "$value")));
        shows.put("databases", table(List.of("$name", "pool_size")));
        shows.put("stats_totals", table(List.of("$database", "query_count")));
        shows.put("stats", table(List.of("$database", "total_query_count")));
        shows.put("pools", table(List.of("$database", "$user", "cl_active")));
        shows.put("clients", table(List.of("$database", "$user", "$state")));
        shows.put("histograms", table(List.of("$database", "$user", "$histogram")));
        shows.put("logins", table(List.of("$database", "$user", "client_logins")));
        shows.put("hazards", table(List.of("$database", "$user", "prepare")));
        String page = MetricsPage.write(shows, Map.of());
        assertTrue(!page.contains("stats_totals"), page);
        assertTrue(!page.contains("pgbouncer_client_connections"), page);
        assertTrue(!page.contains("poolctl_pool_"), page);
        assertTrue(!page.contains("poolctl_client_login_failures_total"), page);
        assertTrue(page.contains("\n# TYPE pgbouncer_process_cpu_seconds_total counter\n"), "the process's, always: " + page);
        assertEquals("# HELP pgbouncer_up The pgbouncer scrape succeeded\n# TYPE pgbouncer_up gauge\npgbouncer_up 0\n",
                ExporterMetrics.down());
    }

    @Test
    void poolctlCountersFromShowLoginsHazardsAndRefusedLogins() {
        Map<String, ShowTables.Result> shows = new LinkedHashMap<>();
        shows.put("logins", table(List.of("$database", "$user", "client_logins", "server_logins",
                "server_login_failures", "$last_login_error"),
                new Object[] {"db", "u", 5L, 2L, 0L, null}, new Object[] {"down", "u", 1L, 0L, 3L, "refused"}));
        shows.put("hazards", table(List.of("$database", "$user", "prepare", "listen"), new Object[] {"db", "u", 1L, 0L}));
        PrometheusText out = new PrometheusText();
        PoolctlMetrics.write(out, shows, new java.util.TreeMap<>(Map.of("28P01", 2L, "08P01", 1L)));
        String page = out.toString();
        assertTrue(page.contains("poolctl_pool_client_logins_total{database=\"db\",user=\"u\"} 5\n"), page);
        assertTrue(page.contains("poolctl_pool_server_login_failures_total{database=\"down\",user=\"u\"} 3\n"), page);
        assertTrue(page.contains("poolctl_pool_server_login_failing{database=\"db\",user=\"u\"} 0\n"
                + "poolctl_pool_server_login_failing{database=\"down\",user=\"u\"} 1\n"), page);
        assertTrue(page.contains("poolctl_pool_hazards_total{database=\"db\",user=\"u\",hazard=\"prepare\"} 1\n"
                + "poolctl_pool_hazards_total{database=\"db\",user=\"u\",hazard=\"listen\"} 0\n"), page);
        assertTrue(page.contains("# TYPE poolctl_client_login_failures_total counter\n"
                + "poolctl_client_login_failures_total{sqlstate=\"08P01\"} 1\n"
                + "poolctl_client_login_failures_total{sqlstate=\"28P01\"} 2\n"), page);
    }

    @Test
    void readsLimitsAndStatusRowsAsGoDoes() {
        List<String> limits = List.of("Limit                     Soft Limit           Hard Limit           Units",
                "Max open files            1048576              1048576              files",
                "Max address space         unlimited            unlimited            bytes");
        assertEquals(1048576, ProcessMetrics.firstNumber(limits, "Max open files"));
        assertEquals(18446744073709551615.0, ProcessMetrics.firstNumber(limits, "Max address space"));
        assertEquals(51200, ProcessMetrics.firstNumber(List.of("VmPeak:\t  90000 kB", "VmRSS:\t   51200 kB"), "VmRSS:"));
        assertTrue(Double.isNaN(ProcessMetrics.firstNumber(limits, "Max nothing")));
    }
}

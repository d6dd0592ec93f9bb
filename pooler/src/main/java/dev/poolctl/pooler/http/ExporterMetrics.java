package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code /metrics}: what prometheus-community/pgbouncer_exporter makes of the console's SHOW answers, with its metric
 * names, types, HELP texts, labels and unit conversions (its {@code collector.go}), so that dashboards and alerts
 * written for the exporter work without the sidecar. Also the exporter's older {@code pgbouncer_stats_*} set (from
 * SHOW STATS), which dashboards of its earlier releases query.
 */
final class ExporterMetrics {
    private static final String GAUGE = "gauge";
    private static final String COUNTER = "counter";
    /** The exporter multiplies microseconds by 1e-6 (not a division): the same doubles come out. */
    private static final double MICROS = 1e-6;

    /** The SHOWs the exporter's metrics are read from. */
    static final List<String> SHOWS = List.of("version", "lists", "config", "databases", "stats_totals", "stats",
            "pools", "clients");

    /** A SHOW column (or SHOW LISTS / SHOW CONFIG row) and the metric the exporter makes of it. */
    record Mapping(String column, String name, String type, double factor, String help) {}

    /** A SHOW with one metric per mapped column and one sample per row, labelled with the row's key columns. */
    record RowSet(String show, String prefix, List<String> labels, List<Mapping> mappings) {}

    static final List<RowSet> ROW_SETS = List.of(
            new RowSet("databases", "pgbouncer_databases_",
                    List.of("name", "host", "port", "database", "force_user", "pool_mode"), List.of(
                    gauge("pool_size", "pool_size", "Maximum number of server connections"),
                    // PgBouncer 1.24 renamed the column reserve_pool to reserve_pool_size; the metric kept its name.
                    gauge("reserve_pool_size", "reserve_pool", "Maximum number of additional connections for this database"),
                    gauge("max_connections", "max_connections", "Maximum number of allowed connections for this database"),
                    gauge("current_connections", "current_connections", "Current number of connections for this database"),
                    gauge("paused", "paused", "1 if this database is currently paused, else 0"),
                    gauge("disabled", "disabled", "1 if this database is currently disabled, else 0"))),
            new RowSet("stats_totals", "pgbouncer_stats_totals_", List.of("database"), List.of(
                    counter("query_count", "queries_pooled_total", 1, "Total number of SQL queries pooled"),
                    counter("query_time", "queries_duration_seconds_total", MICROS, "Total number of seconds spent by pgbouncer when actively connected to PostgreSQL, executing queries"),
                    counter("bytes_received", "received_bytes_total", 1, "Total volume in bytes of network traffic received by pgbouncer, shown as bytes"),
                    counter("bytes_sent", "sent_bytes_total", 1, "Total volume in bytes of network traffic sent by pgbouncer, shown as bytes"),
                    counter("wait_time", "client_wait_seconds_total", MICROS, "Time spent by clients waiting for a server in seconds"),
                    counter("xact_count", "sql_transactions_pooled_total", 1, "Total number of SQL transactions pooled"),
                    counter("xact_time", "server_in_transaction_seconds_total", MICROS, "Total number of seconds spent by pgbouncer when connected to PostgreSQL in a transaction, either idle in transaction or executing queries"),
                    counter("client_parse_count", "client_parses_total", 1, "Total number of prepared statement Parse messages received from clients"),
                    counter("server_parse_count", "server_parses_total", 1, "Total number of prepared statement Parse messages sent by pgbouncer to PostgreSQL"),
                    counter("bind_count", "binds_total", 1, "Total number of prepared statements readied for execution with a Bind message"),
                    counter("server_assignment_count", "server_assignments_total", 1, "Total number of client connections which have been served since process start"))),
            new RowSet("stats", "pgbouncer_stats_", List.of("database"), List.of(
                    counter("total_query_count", "queries_pooled_total", 1, "Total number of SQL queries pooled"),
                    counter("total_query_time", "queries_duration_seconds_total", MICROS, "Total number of seconds spent by pgbouncer when actively connected to PostgreSQL, executing queries"),
                    counter("total_received", "received_bytes_total", 1, "Total volume in bytes of network traffic received by pgbouncer, shown as bytes"),
                    counter("total_sent", "sent_bytes_total", 1, "Total volume in bytes of network traffic sent by pgbouncer, shown as bytes"),
                    counter("total_wait_time", "client_wait_seconds_total", MICROS, "Time spent by clients waiting for a server in seconds"),
                    counter("total_xact_count", "sql_transactions_pooled_total", 1, "Total number of SQL transactions pooled"),
                    counter("total_xact_time", "server_in_transaction_seconds_total", MICROS, "Total number of seconds spent by pgbouncer when connected to PostgreSQL in a transaction, either idle in transaction or executing queries"))),
            new RowSet("pools", "pgbouncer_pools_", List.of("database", "user"), List.of(
                    gauge("cl_active", "client_active_connections", "Client connections linked to server connection and able to process queries, shown as connection"),
                    gauge("cl_active_cancel_req", "client_active_cancel_connections", "Client connections that have forwarded query cancellations to the server and are waiting for the server response"),
                    gauge("cl_waiting", "client_waiting_connections", "Client connections waiting on a server connection, shown as connection"),
                    gauge("cl_waiting_cancel_req", "client_waiting_cancel_connections", "Client connections that have not forwarded query cancellations to the server yet"),
                    gauge("sv_active", "server_active_connections", "Server connections linked to a client connection, shown as connection"),
                    gauge("sv_active_cancel", "server_active_cancel_connections", "Server connections that are currently forwarding a cancel request."),
                    gauge("sv_being_canceled", "server_being_canceled_connections", "Servers that normally could become idle but are waiting to do so until all in-flight cancel requests have completed that were sent to cancel a query on this server."),
                    gauge("sv_idle", "server_idle_connections", "Server connections idle and ready for a client query, shown as connection"),
                    gauge("sv_used", "server_used_connections", "Server connections idle more than server_check_delay, needing server_check_query, shown as connection"),
                    gauge("sv_tested", "server_testing_connections", "Server connections currently running either server_reset_query or server_check_query, shown as connection"),
                    gauge("sv_login", "server_login_connections", "Server connections currently in the process of logging in, shown as connection"),
                    gauge("maxwait", "client_maxwait_seconds", "Age of oldest unserved client connection, shown as second"))));

    /** SHOW LISTS rows (list name to metric); no labels. */
    static final List<Mapping> LISTS = List.of(
            gauge("databases", "pgbouncer_databases", "Count of databases"),
            gauge("users", "pgbouncer_users", "Count of users"),
            gauge("pools", "pgbouncer_pools", "Count of pools"),
            gauge("free_clients", "pgbouncer_free_clients", "Count of free clients"),
            gauge("used_clients", "pgbouncer_used_clients", "Count of used clients"),
            gauge("login_clients", "pgbouncer_login_clients", "Count of clients in login state"),
            gauge("free_servers", "pgbouncer_free_servers", "Count of free servers"),
            gauge("used_servers", "pgbouncer_used_servers", "Count of used servers"),
            gauge("dns_names", "pgbouncer_cached_dns_names", "Count of DNS names in the cache"),
            gauge("dns_zones", "pgbouncer_cached_dns_zones", "Count of DNS zones in the cache"),
            gauge("dns_queries", "pgbouncer_in_flight_dns_queries", "Count of in-flight DNS queries"));

    /** SHOW CONFIG rows (key to metric); no labels. */
    static final List<Mapping> CONFIG = List.of(
            gauge("max_client_conn", "pgbouncer_config_max_client_connections", "Config maximum number of client connections"),
            gauge("max_user_connections", "pgbouncer_config_max_user_connections", "Config maximum number of server connections per user"));

    static final String UP = "pgbouncer_up";
    static final String UP_HELP = "The pgbouncer scrape succeeded";
    static final String VERSION_INFO = "pgbouncer_version_info";
    static final String CLIENT_CONNECTIONS = "pgbouncer_client_connections";
    private static final List<String> CLIENT_LABELS = List.of("database", "user", "application_name", "state");

    private ExporterMetrics() {}

    private static Mapping gauge(String column, String name, String help) {
        return new Mapping(column, name, GAUGE, 1, help);
    }

    private static Mapping counter(String column, String name, double factor, String help) {
        return new Mapping(column, name, COUNTER, factor, help);
    }

    /** Every exporter metric /metrics can carry, with its type: README's list, checked by the tests. */
    static Map<String, String> types() {
        Map<String, String> types = new java.util.LinkedHashMap<>();
        types.put(UP, GAUGE);
        types.put(VERSION_INFO, GAUGE);
        LISTS.forEach(m -> types.put(m.name(), m.type()));
        CONFIG.forEach(m -> types.put(m.name(), m.type()));
        for (RowSet set : ROW_SETS) {
            set.mappings().forEach(m -> types.put(set.prefix() + m.name(), m.type()));
        }
        types.put(CLIENT_CONNECTIONS, GAUGE);
        return types;
    }

    /** The answer when the SHOWs could not be read (the pooler is stopping): what the exporter says then. */
    static String down() {
        return new PrometheusText().family(UP, GAUGE, UP_HELP).sample(UP, List.of(), List.of(), 0).toString();
    }

    /** The exporter's metrics from one scrape's SHOW answers, by SHOW name ({@link #SHOWS}). */
    static void write(PrometheusText out, Map<String, ShowTables.Result> shows) {
        out.family(UP, GAUGE, UP_HELP).sample(UP, List.of(), List.of(), 1);
        ShowTables.Result version = shows.get("version");
        out.family(VERSION_INFO, GAUGE, "The pgbouncer version info");
        for (Object[] row : version.rows()) {
            out.sample(VERSION_INFO, List.of("version"), List.of(label(row[0])), 1);
        }
        keyValue(out, shows.get("lists"), "list", "items", LISTS);
        keyValue(out, shows.get("config"), "key", "value", CONFIG);
        for (RowSet set : ROW_SETS) {
            rows(out, shows.get(set.show()), set);
        }
        clientConnections(out, shows.get("clients"));
    }

    /** SHOW CLIENTS counted by database, user, application_name and state, as the exporter 0.12 does. */
    private static void clientConnections(PrometheusText out, ShowTables.Result clients) {
        if (clients.rows().isEmpty()) {
            return;
        }
        List<Integer> columns = CLIENT_LABELS.stream().map(clients::column).toList();
        Map<List<String>, Integer> counts = new java.util.LinkedHashMap<>();
        for (Object[] row : clients.rows()) {
            counts.merge(columns.stream().map(c -> c < 0 ? "" : label(row[c])).toList(), 1, Integer::sum);
        }
        out.family(CLIENT_CONNECTIONS, GAUGE,
                "Number of client connections grouped by database, user, application name, and state");
        counts.forEach((labels, n) -> out.sample(CLIENT_CONNECTIONS, CLIENT_LABELS, labels, n));
    }

    /** SHOW LISTS and SHOW CONFIG: one unlabelled gauge per known row. */
    private static void keyValue(PrometheusText out, ShowTables.Result result, String keyColumn, String valueColumn,
                                 List<Mapping> mappings) {
        int k = result.column(keyColumn);
        int v = result.column(valueColumn);
        for (Mapping m : mappings) {
            for (Object[] row : result.rows()) {
                if (m.column().equals(row[k])) {
                    out.family(m.name(), m.type(), m.help()).sample(m.name(), List.of(), List.of(), number(row[v], 1));
                    break;
                }
            }
        }
    }

    private static void rows(PrometheusText out, ShowTables.Result result, RowSet set) {
        if (result.rows().isEmpty()) {
            return; // as the exporter's client library: a family without samples is not written
        }
        List<Integer> labelColumns = set.labels().stream().map(result::column).toList();
        List<List<String>> labelValues = new ArrayList<>();
        for (Object[] row : result.rows()) {
            labelValues.add(labelColumns.stream().map(c -> c < 0 ? "" : label(row[c])).toList());
        }
        for (Mapping m : set.mappings()) {
            int c = result.column(m.column());
            if (c < 0) {
                continue;
            }
            String name = set.prefix() + m.name();
            out.family(name, m.type(), m.help());
            for (int r = 0; r < result.rows().size(); r++) {
                out.sample(name, set.labels(), labelValues.get(r), number(result.rows().get(r)[c], m.factor()));
            }
        }
    }

    /** A label from a SHOW value as the exporter turns it into one: NULL is empty, numbers in decimal. */
    private static String label(Object value) {
        return value == null ? "" : value.toString();
    }

    /** A sample from a SHOW value: NULL is NaN (the exporter's dbToFloat64), text is parsed as a number. */
    private static double number(Object value, double factor) {
        if (value == null) {
            return Double.NaN;
        }
        if (value instanceof Number n) {
            return n.doubleValue() * factor;
        }
        try {
            return Double.parseDouble(value.toString()) * factor;
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }
}

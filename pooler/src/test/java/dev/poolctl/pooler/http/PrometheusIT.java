package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * /metrics against the real Prometheus tools of Debian's {@code prometheus} package (installed by {@code .ci/run};
 * each test is skipped without its binary): {@code promtool check metrics} on a live scrape, and a
 * {@code prometheus} server scraping the pooler every second, whose query API must give back the waiting clients
 * SHOW POOLS shows.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PrometheusIT {
    private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
    private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
    private static final String WAITING = "pgbouncer_pools_client_waiting_connections{database=\""
            + PostgresCluster.TEST_DB + "\",user=\"" + PostgresCluster.MD5_USER + "\"}";
    private static PostgresCluster pg;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @Test
    void promtoolChecksALiveScrape() throws Exception {
        assumeTrue(Files.isExecutable(PROMTOOL), "Debian's prometheus package (promtool) is not installed");
        int httpPort = FreePort.find();
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("http_listen_port", Integer.toString(httpPort)));
             Connection c = f.connect();
             Statement st = c.createStatement()) {
            st.execute("SELECT 1"); // a pool with stats: every family of the page has samples
            HttpResponse<String> page = get(httpPort, "/metrics");
            assertEquals(200, page.statusCode());
            assertTrue(page.body().contains("\npgbouncer_stats_totals_queries_pooled_total{"), page.body());

            Processes.Result r = Processes.run(List.of(PROMTOOL.toString(), "check", "metrics"), Map.of(),
                    page.body(), Duration.ofSeconds(30));
            // promtool exits 1 on a page it cannot parse and 3 on lint findings (a line "<metric> <finding>"
            // each: a missing HELP, a counter without _total, a non-base unit). pgbouncer_exporter's names and
            // HELP texts pass the lint as they are, so any finding is a regression, not a compatibility cost.
            assertEquals(0, r.exitCode(), "promtool check metrics:\n" + r.output());
            assertEquals("", r.output().strip(), "promtool check metrics");
        }
    }

    @Test
    void prometheusReadsTheWaitingClientsShowPoolsShows() throws Exception {
        assumeTrue(Files.isExecutable(PROMETHEUS), "Debian's prometheus package is not installed");
        int httpPort = FreePort.find();
        ExecutorService waiters = Executors.newFixedThreadPool(2);
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("http_listen_port", Integer.toString(httpPort))
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("default_pool_size", "1"));
             Connection holder = f.connect();
             // connected before the holder takes the server: pgjdbc's login runs a query of its own
             Connection waiter1 = f.connect();
             Connection waiter2 = f.connect();
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple");
             Prometheus prometheus = Prometheus.start(httpPort)) {
            // One client holds the only server in a transaction: the pool exists, nobody waits yet.
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT 1");
            }
            awaitQuery(prometheus, "pgbouncer_up", "1");
            awaitQuery(prometheus, WAITING, "0");

            // Two more wait for it.
            List<Future<?>> waiting = new ArrayList<>();
            for (Connection c : List.of(waiter1, waiter2)) {
                waiting.add(waiters.submit(() -> {
                    try (Statement st = c.createStatement()) {
                        st.execute("SELECT 1");
                    }
                    return null;
                }));
            }
            PoolerFixture.await("two clients waiting in SHOW POOLS", Duration.ofSeconds(10),
                    () -> clWaiting(console) == 2);
            // Prometheus's latest sample and SHOW POOLS agree: SHOW POOLS is 2 before and after the query that
            // first gives 2 (and was 0 before the waiters came, so the sample is one scraped while they wait).
            String[] seen = new String[1];
            PoolerFixture.await("Prometheus to report 2 waiting", Duration.ofSeconds(15), () -> {
                int before = clWaiting(console);
                seen[0] = prometheus.query(WAITING);
                int after = clWaiting(console);
                assertEquals(2, before, "SHOW POOLS cl_waiting before the query");
                assertEquals(2, after, "SHOW POOLS cl_waiting after the query (Prometheus said " + seen[0] + ")");
                return "2".equals(seen[0]);
            });
            assertEquals("1", prometheus.query("pgbouncer_up"));
            assertEquals("1", prometheus.query("up{job=\"poolctl\"}"), "the scrape itself succeeds");

            // An existing dashboard on the exporter's names finds its series: every query of the Grafana
            // pgbouncer-mixin's dashboards and alerts gives at least one series for this pool.
            for (String query : DASHBOARD_QUERIES) {
                String q = query.replace("$sel", "job=\"poolctl\",instance=~\".+\",database=\"testdb\"");
                int[] found = new int[1];
                try {
                    PoolerFixture.await("a series for " + q, Duration.ofSeconds(15),
                            () -> (found[0] = prometheus.seriesCount(q)) > 0);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "\n" + get(httpPort, "/metrics").body(), e);
                }
            }

            // Released: the waiters run, and the gauge goes back to 0.
            holder.rollback();
            for (Future<?> w : waiting) {
                w.get(10, TimeUnit.SECONDS);
            }
            assertEquals(0, clWaiting(console));
            awaitQuery(prometheus, WAITING, "0");
        } finally {
            waiters.shutdownNow();
        }
    }

    /**
     * The queries of grafana/jsonnet-libs' pgbouncer-mixin (dashboards overview and clusterOverview, and its
     * alerts), written for pgbouncer_exporter: the names, label names and label sets they rely on ({@code $sel}
     * stands for the dashboard's job/instance/database variables). The alert's {@code sum without (database, user)}
     * divided by a config gauge works only when both sides are left with the same labels.
     */
    static final List<String> DASHBOARD_QUERIES = List.of(
            "pgbouncer_pools_client_active_connections{$sel}",
            "pgbouncer_pools_client_waiting_connections{$sel}",
            "pgbouncer_pools_client_maxwait_seconds{$sel}",
            "pgbouncer_pools_server_active_connections{$sel}",
            "pgbouncer_pools_server_idle_connections{$sel}",
            "pgbouncer_pools_server_used_connections{$sel}",
            "pgbouncer_pools_server_testing_connections{$sel}",
            "pgbouncer_pools_server_login_connections{$sel}",
            "rate(pgbouncer_stats_queries_pooled_total{$sel}[10s])",
            "rate(pgbouncer_stats_sql_transactions_pooled_total{$sel}[10s])",
            "rate(pgbouncer_stats_received_bytes_total{$sel}[10s])",
            "rate(pgbouncer_stats_sent_bytes_total{$sel}[10s])",
            "1000 * increase(pgbouncer_stats_queries_duration_seconds_total{$sel}[10s])"
                    + " / clamp_min(increase(pgbouncer_stats_queries_pooled_total{$sel}[10s]), 1)",
            "1000 * increase(pgbouncer_stats_server_in_transaction_seconds_total{$sel}[10s])"
                    + " / clamp_min(increase(pgbouncer_stats_sql_transactions_pooled_total{$sel}[10s]), 1)",
            "sum(pgbouncer_config_max_client_connections{job=\"poolctl\"})",
            "sum(pgbouncer_config_max_user_connections{job=\"poolctl\"})",
            "sum(pgbouncer_databases_max_connections{$sel})",
            "count by (database, instance) (pgbouncer_databases_current_connections{$sel})",
            "topk by (database, instance) (5, pgbouncer_pools_client_active_connections{job=\"poolctl\"})",
            "100 * (sum without (database, user) (pgbouncer_pools_server_active_connections"
                    + " + pgbouncer_pools_server_idle_connections + pgbouncer_pools_server_used_connections)"
                    + " / clamp_min(pgbouncer_config_max_user_connections, 1)) >= 0");

    /** Polls an instant query until it gives {@code expected}; fails with the last answer. */
    private static void awaitQuery(Prometheus prometheus, String query, String expected) {
        String[] last = new String[1];
        try {
            PoolerFixture.await(query + " = " + expected, Duration.ofSeconds(15),
                    () -> expected.equals(last[0] = prometheus.query(query)));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "; last answer: " + last[0] + "\n" + prometheus.log(), e);
        }
    }

    private static int clWaiting(Connection console) {
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(PostgresCluster.TEST_DB)
                        && rs.getString("user").equals(PostgresCluster.MD5_USER)) {
                    return rs.getInt("cl_waiting");
                }
            }
            return -1;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A {@code prometheus} server of its own (a child process on a free port of 127.0.0.1, storage in a temp dir)
     * scraping the pooler's /metrics every second; {@link #close} kills it and deletes the dir.
     */
    private static final class Prometheus implements AutoCloseable {
        /** The value of a one-series instant query answer: {@code "value":[<time>,"<value>"]}. */
        private static final Pattern VALUE = Pattern.compile("\"value\":\\[[0-9.e+]+,\"([^\"]*)\"\\]");

        private final Path dir;
        private final Process process;
        private final int port;
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

        private Prometheus(Path dir, Process process, int port) {
            this.dir = dir;
            this.process = process;
            this.port = port;
        }

        static Prometheus start(int target) throws IOException {
            Path dir = Files.createTempDirectory("poolctl-prometheus-");
            Files.writeString(dir.resolve("prometheus.yml"), String.join("\n",
                    "global:",
                    "  scrape_interval: 1s",
                    "  scrape_timeout: 1s",
                    "  evaluation_interval: 1s",
                    "scrape_configs:",
                    "  - job_name: poolctl",
                    "    static_configs:",
                    "      - targets: [\"127.0.0.1:" + target + "\"]", ""));
            int port = FreePort.find();
            Process p = new ProcessBuilder(PROMETHEUS.toString(),
                    "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"),
                    "--web.listen-address=127.0.0.1:" + port)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            Prometheus prometheus = new Prometheus(dir, p, port);
            try {
                PoolerFixture.await("prometheus to be ready on 127.0.0.1:" + port, Duration.ofSeconds(20),
                        () -> {
                            assertTrue(p.isAlive(), "prometheus exited:\n" + prometheus.log());
                            return prometheus.status("/-/ready") == 200;
                        });
            } catch (RuntimeException | AssertionError e) {
                prometheus.close();
                throw e;
            }
            return prometheus;
        }

        private int status(String path) {
            try {
                return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException notYet) {
                return -1;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        /** An instant query's single value; null when it has no series yet. */
        String query(String promql) {
            String body = api(promql);
            Matcher m = VALUE.matcher(body);
            if (!m.find()) {
                return null;
            }
            String value = m.group(1);
            assertTrue(!m.find(), "one series for " + promql + ": " + body);
            return value;
        }

        /** How many series an instant query gives. */
        int seriesCount(String promql) {
            return api(promql).split("\"metric\":", -1).length - 1;
        }

        /** The answer of an instant query through Prometheus's HTTP API, checked to be a success. */
        private String api(String promql) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                        + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)))
                        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), promql + ": " + r.body());
                assertTrue(r.body().startsWith("{\"status\":\"success\""), r.body());
                return r.body();
            } catch (IOException e) {
                throw new IllegalStateException(promql, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        String log() {
            try {
                return Files.readString(dir.resolve("prometheus.log"));
            } catch (IOException e) {
                return "(no log: " + e + ")";
            }
        }

        @Override
        public void close() throws IOException {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Queries;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The HTTP listener against a real pooler and PostgreSQL: /metrics carries every pgbouncer_exporter metric with its
 * type and the values SHOW POOLS gives at the same moment, /healthz and /readyz follow a drain, /metrics answers
 * while draining, bad requests are refused without hurting the pooler, and /readyz says why it is not ready
 * (draining, shutting down, no pool can log in).
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MetricsIT {
    private static PostgresCluster pg;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private record Sample(String name, Map<String, String> labels, double value) {}

    /** A scraped page: TYPE lines by family, and the samples. */
    private record Page(Map<String, String> types, List<Sample> samples) {
        double value(String name, String database, String user) {
            return samples.stream().filter(s -> s.name().equals(name) && database.equals(s.labels().get("database"))
                    && user.equals(s.labels().get("user"))).mapToDouble(Sample::value).findFirst().orElse(-1);
        }
    }

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})? (\\S+)");
    private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\",?");

    private static Page parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                String[] parts = line.split(" ");
                assertEquals(4, parts.length, line);
                assertEquals(null, types.put(parts[2], parts[3]), "one TYPE per family: " + line);
            } else if (!line.startsWith("#") && !line.isEmpty()) {
                Matcher m = SAMPLE.matcher(line);
                assertTrue(m.matches(), "a sample line: " + line);
                Map<String, String> labels = new HashMap<>();
                if (m.group(2) != null) {
                    Matcher l = LABEL.matcher(m.group(2));
                    int end = 0;
                    while (l.find() && l.start() == end) {
                        labels.put(l.group(1), l.group(2).replace("\\n", "\n").replace("\\\"", "\"")
                                .replace("\\\\", "\\"));
                        end = l.end();
                    }
                    assertEquals(m.group(2).length(), end, "labels of " + line);
                }
                String family = m.group(1).replaceAll("_(bucket|sum|count)$", ""); // a histogram's series
                assertTrue(types.containsKey(m.group(1)) || "histogram".equals(types.get(family)),
                        "TYPE before the samples of " + m.group(1));
                samples.add(new Sample(m.group(1), labels, Double.parseDouble(m.group(3))));
            }
        }
        return new Page(types, samples);
    }

    private HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int[] showPools(Connection console) throws SQLException {
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(PostgresCluster.TEST_DB)
                        && rs.getString("user").equals(PostgresCluster.MD5_USER)) {
                    return new int[] {rs.getInt("cl_active"), rs.getInt("cl_waiting"), rs.getInt("sv_active")};
                }
            }
        }
        return new int[] {-1, -1, -1};
    }

    @Test
    void readyzSaysWhyNoPoolCanLogIn() throws Exception {
        int httpPort = FreePort.find();
        int closedPort = FreePort.find(); // nothing listens there: every server login to it is refused
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("http_listen_port", Integer.toString(httpPort))
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("server_login_retry", "3") // how long a failure counts once no client of its pool waits
                .set("query_wait_timeout", "3") // bounds how long a client of the closed port may wait
                .database("closed", "host=127.0.0.1 port=" + closedPort + " dbname=testdb"));
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            HttpResponse<String> ready = get(httpPort, "/readyz");
            assertEquals(200, ready.statusCode(), "no pool yet, so no failed login: " + ready.body());

            // A client of the closed port: its pool's login fails, and /readyz says why.
            long firstClient = System.nanoTime();
            assertThrows(SQLException.class, () -> f.connect("closed", PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD).close());
            ready = awaitReadyz(httpPort, 503);
            String body = ready.body();
            assertTrue(body.startsWith("no pool can log in: ") && body.endsWith("\n"), body);
            String why = body.substring("no pool can log in: ".length(), body.length() - 1);
            assertTrue(f.log().contains("server login failed: " + why), "the logged error: " + why + "\n" + f.log());

            // Nobody asks that pool again: after server_login_retry its failure no longer counts, or a pooler taken
            // out of a load balancer for it would get no client to find out that PostgreSQL is back.
            awaitReadyz(httpPort, 200);
            assertTrue(Queries.millisSince(firstClient) >= 3000, "ready again only server_login_retry after it");
            assertThrows(SQLException.class, () -> f.connect("closed", PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD).close());
            assertEquals(503, awaitReadyz(httpPort, 503).statusCode(), "a fresh failure counts again");

            // A database that logs in: one pool can, so the pooler is ready while the other cannot.
            try (Connection good = f.connect(); Statement st = good.createStatement()) {
                st.execute("SELECT 1");
                ready = get(httpPort, "/readyz");
                assertEquals(200, ready.statusCode(), ready.body());
                assertEquals("ok\n", ready.body());

                // A shutdown that waits for this client: no longer accepting, whatever the pools can do.
                try (Statement cst = console.createStatement()) {
                    cst.execute("SHUTDOWN WAIT_FOR_CLIENTS");
                }
                ready = get(httpPort, "/readyz");
                assertEquals(503, ready.statusCode(), ready.body());
                assertEquals("shutting down\n", ready.body());
            }
        }
    }

    /** Polls /readyz until it answers {@code status}, for at most 10 s; returns that answer. */
    private HttpResponse<String> awaitReadyz(int port, int status) {
        AtomicReference<HttpResponse<String>> last = new AtomicReference<>();
        PoolerFixture.await("/readyz " + status, Duration.ofSeconds(10), () -> {
            try {
                HttpResponse<String> r = get(port, "/readyz");
                last.set(r);
                return r.statusCode() == status;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return last.get();
    }

    /** Sends raw bytes and returns the status line, or "closed" when the pooler closed without one. */
    private static String raw(int port, byte[] request) throws IOException {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
            } catch (IOException closedWhileWriting) {
                // the listener may refuse and close before it has read everything
            }
            InputStream in = s.getInputStream();
            StringBuilder line = new StringBuilder();
            try {
                for (int b = in.read(); b != -1 && b != '\r'; b = in.read()) {
                    line.append((char) b);
                }
            } catch (IOException reset) {
                return line.length() == 0 ? "closed" : line.toString();
            }
            return line.length() == 0 ? "closed" : line.toString();
        }
    }

    @Test
    void metricsMatchShowPoolsAndAnswerWhileDraining() throws Exception {
        int httpPort = FreePort.find();
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("http_listen_port", Integer.toString(httpPort))
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("default_pool_size", "1"));
             Connection holder = f.connect();
             Connection waiter = f.connect();
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            assertTrue(f.log().contains("listening on http://127.0.0.1:" + httpPort), f.log());
            HttpResponse<String> health = get(httpPort, "/healthz");
            assertEquals(200, health.statusCode());
            assertEquals("ok\n", health.body());
            assertEquals(200, get(httpPort, "/readyz").statusCode());

            // One client in a transaction holds the only server; the other waits for it.
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT 1");
            }
            CompletableFuture<Void> waiting = CompletableFuture.runAsync(() -> {
                try (Statement st = waiter.createStatement()) {
                    st.execute("SELECT 2");
                } catch (SQLException e) {
                    // closed by the drain at the end of the test: what matters here is that it waited
                }
            });
            PoolerFixture.await("a client waiting", Duration.ofSeconds(10), () -> {
                try {
                    return showPools(console)[1] == 1;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });

            // The scrape and SHOW POOLS agree when SHOW POOLS is the same before and after the scrape.
            String[] lastPage = new String[1];
            String[] mismatch = new String[1];
            PoolerFixture.await("/metrics to equal SHOW POOLS", Duration.ofSeconds(10), () -> {
                try {
                    int[] before = showPools(console);
                    HttpResponse<String> r = get(httpPort, "/metrics");
                    int[] after = showPools(console);
                    lastPage[0] = r.body();
                    Page p = parse(r.body());
                    String db = PostgresCluster.TEST_DB;
                    String user = PostgresCluster.MD5_USER;
                    int[] scraped = {(int) p.value("pgbouncer_pools_client_active_connections", db, user),
                        (int) p.value("pgbouncer_pools_client_waiting_connections", db, user),
                        (int) p.value("pgbouncer_pools_server_active_connections", db, user)};
                    mismatch[0] = java.util.Arrays.toString(before) + " " + java.util.Arrays.toString(scraped) + " "
                            + java.util.Arrays.toString(after);
                    return r.statusCode() == 200 && java.util.Arrays.equals(before, after)
                            && java.util.Arrays.equals(before, scraped);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertTrue(mismatch[0].startsWith("[1, 1, 1]"), "one active, one waiting, one server: " + mismatch[0]);

            HttpResponse<String> metrics = get(httpPort, "/metrics");
            assertEquals("text/plain; version=0.0.4; charset=utf-8",
                    metrics.headers().firstValue("content-type").orElse(""));
            Page page = parse(metrics.body());
            for (String name : ExporterMetricsTest.EXPORTER_NAMES) {
                assertEquals(name.endsWith("_total") ? "counter" : "gauge", page.types().get(name),
                        "TYPE of " + name + " in\n" + metrics.body());
                assertTrue(page.samples().stream().anyMatch(s -> s.name().equals(name)), "a sample of " + name);
            }
            page.types().forEach((name, type) -> assertEquals(MetricsPage.types().get(name), type,
                    "a family of README's lists: " + name));
            assertTrue(metrics.body().contains("\npgbouncer_up 1\n"), metrics.body());

            HttpResponse<String> stats = get(httpPort, "/stats");
            assertEquals(200, stats.statusCode());
            assertEquals("application/json", stats.headers().firstValue("content-type").orElse(""));
            assertTrue(stats.body().matches("(?s)\\{\"timestamp\":\\d{10},\"pools\":\\[.*\\],\"stats\":\\[.*\\]}\n"),
                    stats.body());
            assertTrue(stats.body().contains("{\"database\":\"testdb\",\"user\":\"md5_user\",\"cl_active\":1,"
                    + "\"cl_waiting\":1,"), stats.body());

            // Bad requests: refused, and the pooler goes on.
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
            assertEquals("GET, HEAD", post.headers().firstValue("allow").orElse(""));
            assertEquals(404, get(httpPort, "/nope").statusCode());
            HttpResponse<Void> head = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort
                    + "/metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.discarding());
            assertEquals(200, head.statusCode());
            String bigHeader = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(64 * 1024) + "\r\n\r\n";
            String status = raw(httpPort, bigHeader.getBytes(StandardCharsets.US_ASCII));
            assertTrue(status.equals("closed") || status.startsWith("HTTP/1.1 431"), status);
            String longLine = "GET /" + "a".repeat(16 * 1024) + " HTTP/1.1\r\nHost: x\r\n\r\n";
            status = raw(httpPort, longLine.getBytes(StandardCharsets.US_ASCII));
            assertTrue(status.equals("closed") || status.startsWith("HTTP/1.1 414"), status);
            assertTrue(raw(httpPort, "\u0001\u0002garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1))
                    .matches("closed|HTTP/1.1 400.*"));
            assertEquals(200, get(httpPort, "/healthz").statusCode());
            // Connections held open without a request: past the cap the next is closed at once; the cap's worth of
            // hoarders leaves the listener and the pools serving once they go.
            List<java.net.Socket> hoarders = new ArrayList<>();
            try {
                for (int i = 0; i < HttpListener.MAX_CONNECTIONS; i++) {
                    hoarders.add(new java.net.Socket("127.0.0.1", httpPort));
                }
                PoolerFixture.await("the cap reached", Duration.ofSeconds(10), () -> {
                    try (java.net.Socket extra = new java.net.Socket("127.0.0.1", httpPort)) {
                        extra.setSoTimeout(2_000);
                        return extra.getInputStream().read() == -1; // closed by the pooler, not left waiting
                    } catch (java.net.SocketTimeoutException stillOpen) {
                        return false; // no cap: the pooler keeps it open waiting for a request
                    } catch (IOException reset) {
                        return true;
                    }
                });
            } finally {
                for (java.net.Socket h : hoarders) {
                    h.close();
                }
            }
            PoolerFixture.await("the listener serving again", Duration.ofSeconds(10), () -> {
                try {
                    return get(httpPort, "/healthz").statusCode() == 200;
                } catch (Exception e) {
                    return false;
                }
            });
            assertEquals(1, showPools(console)[1], "the pooler still serves its console and pools");

            // A drain: not ready any more, but the metrics still answer while the transaction holds the pooler open.
            try (Statement st = console.createStatement()) {
                st.execute("DRAIN 30");
            }
            HttpResponse<String> ready = get(httpPort, "/readyz");
            assertEquals(503, ready.statusCode(), ready.body());
            assertEquals("draining\n", ready.body());
            assertEquals(200, get(httpPort, "/healthz").statusCode());
            HttpResponse<String> draining = get(httpPort, "/metrics");
            assertEquals(200, draining.statusCode());
            assertTrue(draining.body().contains("\npgbouncer_up 1\n"), draining.body());
            assertTrue(parse(draining.body()).value("pgbouncer_pools_server_active_connections",
                    PostgresCluster.TEST_DB, PostgresCluster.MD5_USER) == 1, draining.body());
            holder.rollback();
            waiting.get(20, TimeUnit.SECONDS);
        }
    }
}

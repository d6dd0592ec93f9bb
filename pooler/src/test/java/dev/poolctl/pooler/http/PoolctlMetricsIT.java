package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What /metrics adds to the exporter's names, and /stats, against a real pooler and PostgreSQL: refused client
 * logins counted by the SQLSTATE the clients got, server logins and failures per pool equal to SHOW LOGINS,
 * hazards equal to SHOW HAZARDS, pgbouncer_client_connections equal to SHOW CLIENTS counted, the process's own
 * metrics plausible; /stats parsed as JSON equals SHOW POOLS and SHOW STATS taken around it.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PoolctlMetricsIT {
    private static PostgresCluster pg;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** {@code name{labels} value} with the labels as written: enough for equality with an expected line. */
    private static final Pattern SAMPLE = Pattern.compile("(?m)^([a-z_]+)(\\{[^}]*\\})? (\\S+)$");

    private String get(int port, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
    }

    /** The samples of one family (and its histogram series) as {@code {labels} -> value}. */
    private static Map<String, Double> samples(String page, String name) {
        Map<String, Double> found = new TreeMap<>();
        Matcher m = SAMPLE.matcher(page);
        while (m.find()) {
            if (m.group(1).equals(name)) {
                found.put(m.group(2) == null ? "" : m.group(2), Double.parseDouble(m.group(3)));
            }
        }
        return found;
    }

    private static List<Map<String, Object>> show(Connection console, String what) throws SQLException {
        List<Map<String, Object>> rows = new ArrayList<>();
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW " + what)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, Object> row = new java.util.LinkedHashMap<>();
                for (int c = 1; c <= md.getColumnCount(); c++) {
                    row.put(md.getColumnName(c), rs.getObject(c));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    private static String pool(Object database, Object user) {
        return "{database=\"" + database + "\",user=\"" + user + "\"}";
    }

    @Test
    void countsWhatClientsAndServersMetAndStatsEqualsTheConsole() throws Exception {
        int httpPort = FreePort.find();
        int closedPort = FreePort.find();
        // a "server" that takes the connection and never answers: a login to it runs until server_connect_timeout
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
             PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("http_listen_port", Integer.toString(httpPort))
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("pool_mode", "transaction")
                .set("query_wait_timeout", "2")
                .set("server_connect_timeout", "3")
                .database("closed", "host=127.0.0.1 port=" + closedPort + " dbname=testdb")
                .database("silent", "host=127.0.0.1 port=" + silent.getLocalPort() + " dbname=testdb"));
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            // Refused logins, each with the SQLSTATE its client got.
            Map<String, Double> refused = new TreeMap<>();
            List<ThrowingLogin> logins = List.of(
                    () -> f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, "wrong").close(),
                    () -> f.connect("no_such_db", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD).close(),
                    () -> f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, "wrong again").close(),
                    () -> f.connect("closed", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD).close());
            for (ThrowingLogin login : logins) {
                count(refused, assertThrows(SQLException.class, login::run));
            }
            // A client of a database whose first server login takes long waits for it: cl_waiting, and maxwait
            // from the moment it was queued (as PgBouncer's waiting list holds it; PgBouncer issue 1588), until
            // server_connect_timeout fails that login and the client with it.
            CompletableFuture<SQLException> silentLogin = CompletableFuture.supplyAsync(() -> assertThrows(
                    SQLException.class, () -> f.connect("silent", PostgresCluster.MD5_USER,
                            PostgresCluster.MD5_PASSWORD).close()));
            PoolerFixture.await("the client of silent waiting 0.5 s in SHOW POOLS", Duration.ofSeconds(10), () -> {
                try {
                    for (Map<String, Object> p : show(console, "POOLS")) {
                        if (p.get("database").equals("silent")) {
                            long us = ((Number) p.get("maxwait")).longValue() * 1_000_000
                                    + ((Number) p.get("maxwait_us")).longValue();
                            return ((Number) p.get("cl_waiting")).intValue() == 1 && us >= 500_000;
                        }
                    }
                    return false;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            count(refused, silentLogin.get(10, TimeUnit.SECONDS));
            // query_wait_timeout (2 s) ends the client; the login goes on to server_connect_timeout (3 s)
            PoolerFixture.await("the login to silent to fail", Duration.ofSeconds(10), () -> {
                try {
                    return show(console, "LOGINS").stream().anyMatch(l -> l.get("database").equals("silent")
                            && ((Number) l.get("server_login_failures")).intValue() == 1);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // PgBouncer's words and codes: a wrong password and an unknown database are 08P01
            assertTrue(refused.get("{sqlstate=\"08P01\"}") >= 3, refused.toString());

            // Logins that work, and a hazard: LISTEN in transaction mode.
            try (Connection a = f.connect(); Connection b = f.connect(PostgresCluster.TEST_DB,
                    PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "ApplicationName=metrics-app");
                 Statement st = a.createStatement()) {
                st.execute("LISTEN metrics_channel");
                try (Statement sb = b.createStatement()) {
                    sb.execute("SELECT 1");
                }
                String page = get(httpPort, "/metrics");
                assertEquals(refused, samples(page, "poolctl_client_login_failures_total"), page);

                // pgbouncer_client_connections: SHOW CLIENTS counted by database, user, application_name, state.
                Map<String, Double> clients = new TreeMap<>();
                for (Map<String, Object> c : show(console, "CLIENTS")) {
                    clients.merge("{database=\"" + c.get("database") + "\",user=\"" + c.get("user")
                            + "\",application_name=\"" + c.get("application_name") + "\",state=\"" + c.get("state")
                            + "\"}", 1.0, Double::sum);
                }
                assertEquals(clients, samples(page, "pgbouncer_client_connections"), page);
                assertTrue(clients.keySet().stream().anyMatch(k -> k.contains("application_name=\"metrics-app\"")),
                        clients.toString());
            }

            // SHOW LOGINS and SHOW HAZARDS, once every client has gone, against a scrape.
            String page = get(httpPort, "/metrics");
            Map<String, Double> clientLogins = new TreeMap<>();
            Map<String, Double> serverLogins = new TreeMap<>();
            Map<String, Double> serverFailures = new TreeMap<>();
            Map<String, Double> failing = new TreeMap<>();
            for (Map<String, Object> row : show(console, "LOGINS")) {
                String key = pool(row.get("database"), row.get("user"));
                clientLogins.put(key, ((Number) row.get("client_logins")).doubleValue());
                serverLogins.put(key, ((Number) row.get("server_logins")).doubleValue());
                serverFailures.put(key, ((Number) row.get("server_login_failures")).doubleValue());
                failing.put(key, row.get("last_login_error") == null ? 0.0 : 1.0);
            }
            String good = pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            String closed = pool("closed", PostgresCluster.MD5_USER);
            assertEquals(2.0, clientLogins.get(good), "the two clients that logged in: " + clientLogins);
            assertTrue(serverLogins.get(good) >= 1, serverLogins.toString());
            assertEquals(0.0, serverFailures.get(good));
            assertTrue(serverFailures.get(closed) >= 1, serverFailures.toString());
            assertEquals(0.0, serverLogins.get(closed));
            assertEquals(Map.of(good, 0.0, closed, 1.0, pool("silent", PostgresCluster.MD5_USER), 1.0), failing);
            assertEquals(clientLogins, samples(page, "poolctl_pool_client_logins_total"), page);
            assertEquals(serverLogins, samples(page, "poolctl_pool_server_logins_total"), page);
            assertEquals(serverFailures, samples(page, "poolctl_pool_server_login_failures_total"), page);
            assertEquals(failing, samples(page, "poolctl_pool_server_login_failing"), page);
            Map<String, Double> hazards = new TreeMap<>();
            for (Map<String, Object> row : show(console, "HAZARDS")) {
                row.forEach((column, value) -> {
                    if (!column.equals("database") && !column.equals("user")) {
                        hazards.put("{database=\"" + row.get("database") + "\",user=\"" + row.get("user")
                                + "\",hazard=\"" + column + "\"}", ((Number) value).doubleValue());
                    }
                });
            }
            assertEquals(1.0, hazards.get("{database=\"testdb\",user=\"md5_user\",hazard=\"listen\"}"), hazards.toString());
            assertEquals(hazards, samples(page, "poolctl_pool_hazards_total"), page);

            // The process: its own CPU, descriptors, memory and start.
            assertTrue(samples(page, "pgbouncer_process_cpu_seconds_total").get("") > 0, page);
            double fds = samples(page, "pgbouncer_process_open_fds").get("");
            assertTrue(fds >= 5 && fds <= samples(page, "pgbouncer_process_max_fds").get(""), page);
            assertTrue(samples(page, "pgbouncer_process_resident_memory_bytes").get("") > 16 << 20, page);
            double start = samples(page, "pgbouncer_process_start_time_seconds").get("");
            double now = System.currentTimeMillis() / 1000.0;
            assertTrue(start > now - 3600 && start <= now, "started in the last hour: " + start);
            assertTrue(samples(page, "poolctl_jvm_heap_used_bytes").get("") > 0, page);

            // /stats: parsed, and equal to SHOW POOLS and SHOW STATS taken before and after it.
            String[] mismatch = new String[1];
            PoolerFixture.await("/stats to equal the console", Duration.ofSeconds(10), () -> {
                try {
                    List<Map<String, Object>> pools = show(console, "POOLS");
                    List<Map<String, Object>> stats = show(console, "STATS");
                    JsonObject json = JsonParser.parseString(get(httpPort, "/stats")).getAsJsonObject();
                    boolean same = pools.equals(show(console, "POOLS")) && stats.equals(show(console, "STATS"));
                    long timestamp = json.get("timestamp").getAsLong();
                    assertTrue(Math.abs(timestamp - System.currentTimeMillis() / 1000) <= 5, json.toString());
                    mismatch[0] = compare(pools, json.getAsJsonArray("pools"))
                            + compare(stats, json.getAsJsonArray("stats"));
                    return same && mismatch[0].isEmpty();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    private static void count(Map<String, Double> refused, SQLException e) {
        assertTrue(e.getSQLState() != null && e.getSQLState().length() == 5, e.toString());
        refused.merge("{sqlstate=\"" + e.getSQLState() + "\"}", 1.0, Double::sum);
    }

    private interface ThrowingLogin {
        void run() throws SQLException;
    }

    /** "" when the JSON rows are the console's rows with their types (numbers, strings, null); else the difference. */
    private static String compare(List<Map<String, Object>> console, JsonArray json) {
        if (console.size() != json.size()) {
            return console.size() + " rows in the console, " + json.size() + " in /stats; ";
        }
        StringBuilder diff = new StringBuilder();
        for (int r = 0; r < console.size(); r++) {
            JsonObject row = json.get(r).getAsJsonObject();
            if (!row.keySet().equals(console.get(r).keySet())) {
                return "columns " + row.keySet() + " vs " + console.get(r).keySet() + "; ";
            }
            for (Map.Entry<String, Object> c : console.get(r).entrySet()) {
                JsonElement v = row.get(c.getKey());
                Object expected = c.getValue();
                boolean ok = expected == null ? v.isJsonNull()
                        : expected instanceof Number n ? v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber()
                                && v.getAsLong() == n.longValue()
                        : v.isJsonPrimitive() && v.getAsJsonPrimitive().isString()
                                && v.getAsString().equals(expected.toString());
                if (!ok) {
                    diff.append(c.getKey()).append(": ").append(expected).append(" vs ").append(v).append("; ");
                }
            }
        }
        return diff.toString();
    }
}

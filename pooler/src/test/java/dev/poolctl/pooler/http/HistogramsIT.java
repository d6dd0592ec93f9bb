package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * SHOW HISTOGRAMS and the histograms on /metrics (issue 14): the transaction histogram counts every transaction
 * SHOW STATS counts, the wait histogram every server assignment, and a slow query lands in its bucket.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HistogramsIT {
    private static PostgresCluster pg;

    /** SHOW HISTOGRAMS rows of testdb/md5_user by kind, each a column-name map. */
    private static Map<String, Map<String, String>> histograms(Connection console) throws Exception {
        Map<String, Map<String, String>> byKind = new HashMap<>();
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW HISTOGRAMS")) {
            while (rs.next()) {
                if (PostgresCluster.TEST_DB.equals(rs.getString("database"))
                        && PostgresCluster.MD5_USER.equals(rs.getString("user"))) {
                    Map<String, String> row = new HashMap<>();
                    for (int c = 1; c <= rs.getMetaData().getColumnCount(); c++) {
                        row.put(rs.getMetaData().getColumnLabel(c), rs.getString(c));
                    }
                    byKind.put(rs.getString("histogram"), row);
                }
            }
        }
        return byKind;
    }

    private static long statsValue(Connection console, String column) throws Exception {
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW STATS")) {
            while (rs.next()) {
                if (PostgresCluster.TEST_DB.equals(rs.getString("database"))) {
                    return rs.getLong(column);
                }
            }
        }
        throw new AssertionError("no SHOW STATS row for testdb");
    }

    @Test
    void histogramsCountEveryTransactionAndPutASlowQueryInItsBucket() throws Exception {
        int httpPort = FreePort.find();
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("stats_users", PostgresCluster.MD5_USER)
                .set("http_listen_port", Integer.toString(httpPort)));
             Connection client = f.connect();
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            try (Statement st = client.createStatement()) {
                for (int i = 0; i < 50; i++) {
                    st.execute("SELECT 1");
                }
                st.execute("SELECT pg_sleep(0.3)");
            }
            Map<String, Map<String, String>> h = histograms(console);
            long xacts = statsValue(console, "total_xact_count");
            assertTrue(xacts >= 51, "autocommit: a transaction per statement, " + xacts);
            assertEquals(Long.toString(xacts), h.get("xact").get("count"), "xact histogram = SHOW STATS transactions");
            assertEquals(Long.toString(xacts), h.get("xact").get("le_inf"), "le_inf holds all");
            assertEquals(Long.toString(statsValue(console, "total_query_count")), h.get("query").get("count"));
            assertEquals(h.get("xact").get("count"), h.get("wait").get("count"),
                    "one server assignment per transaction");
            // the pg_sleep(0.3) is above 250 ms and at most 500 ms; the 50 SELECT 1 are far below
            Map<String, String> q = h.get("query");
            assertEquals(Long.parseLong(q.get("le_250ms")) + 1, Long.parseLong(q.get("le_500ms")), q.toString());
            assertEquals(Long.parseLong(q.get("count")) - 1, Long.parseLong(q.get("le_250ms")), q.toString());
            assertTrue(Long.parseLong(q.get("max_us")) >= 300_000, q.toString());
            assertTrue(Long.parseLong(q.get("p50_us")) <= 25_000, "the typical query is fast: " + q);
            assertTrue(Long.parseLong(q.get("count")) <= 100, q.toString());
            // p99 of at most 100 queries falls in the slow one's bucket (500 ms), capped at the longest seen
            assertEquals(q.get("max_us"), q.get("p99_us"), q.toString());

            HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + httpPort + "/metrics")).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            String body = metrics.body();
            String labels = "database=\"testdb\",user=\"md5_user\"";
            assertEquals(Long.parseLong(h.get("xact").get("count")),
                    (long) value(body, "poolctl_pool_transaction_seconds_count{" + labels + "}"));
            assertEquals(Long.parseLong(q.get("le_500ms")),
                    (long) value(body, "poolctl_pool_query_seconds_bucket{" + labels + ",le=\"0.5\"}"));
            assertEquals(Long.parseLong(q.get("count")),
                    (long) value(body, "poolctl_pool_query_seconds_bucket{" + labels + ",le=\"+Inf\"}"));
            assertEquals(Long.parseLong(q.get("sum_us")) * 1e-6,
                    value(body, "poolctl_pool_query_seconds_sum{" + labels + "}"), 1e-9);
            assertTrue(body.contains("# TYPE poolctl_pool_client_wait_seconds histogram\n"), body);
        }
    }

    private static double value(String body, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(body);
        assertTrue(m.find(), series + " in\n" + body);
        return Double.parseDouble(m.group(1));
    }
}

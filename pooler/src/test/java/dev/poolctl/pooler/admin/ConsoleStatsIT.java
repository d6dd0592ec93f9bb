package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The console's own counts, PgBouncer's admin pool: SHOW STATS, STATS_TOTALS and TOTALS have a pgbouncer row
 * counting a transaction and a query per console connection that sent one (client.c counts the first query only,
 * as the console never resets query_start; PgBouncer's test_show_stats adds them to TOTALS). With two event loops
 * the connections land on both, and the loops' rows are summed into one.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConsoleStatsIT {
    private static PostgresCluster pg;

    private static Connection console(PoolerFixture f) throws SQLException {
        return f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "preferQueryMode=simple");
    }

    private static List<Map<String, String>> consoleRows(Connection c, String show) throws SQLException {
        return AdminConsoleIT.rows(c, show).stream().filter(r -> "pgbouncer".equals(r.get("database"))).toList();
    }

    @Test
    void consoleConnectionsAreCountedOnceEachInOnePgbouncerRow() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("event_loops", "2").set("admin_users", PostgresCluster.MD5_USER));
             Connection asking = console(f)) {
            List<Map<String, String>> before = consoleRows(asking, "SHOW STATS_TOTALS");
            assertEquals(1, before.size(), "one pgbouncer row over both loops: " + before);
            long xacts = Long.parseLong(before.get(0).get("xact_count"));
            assertEquals(xacts, Long.parseLong(before.get(0).get("query_count")));
            for (int i = 0; i < 3; i++) {
                try (Connection c = console(f)) { // round robin: both loops get some
                    AdminConsoleIT.rows(c, "SHOW VERSION");
                    AdminConsoleIT.rows(c, "SHOW VERSION");
                }
            }
            List<Map<String, String>> after = consoleRows(asking, "SHOW STATS");
            assertEquals(1, after.size(), after.toString());
            assertEquals(xacts + 3, Long.parseLong(after.get(0).get("total_xact_count")),
                    "three more connections, whatever their number of queries: " + after);
            assertEquals(xacts + 3, Long.parseLong(after.get(0).get("total_query_count")));
            long totalQueries = AdminConsoleIT.rows(asking, "SHOW TOTALS").stream()
                    .filter(r -> r.get("name").equals("total_query_count"))
                    .mapToLong(r -> Long.parseLong(r.get("value"))).sum();
            assertEquals(xacts + 3, totalQueries, "no pool has run a query: TOTALS is the console's count");
        }
    }
}

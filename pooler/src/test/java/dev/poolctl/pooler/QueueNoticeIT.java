package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** query_wait_notify: a client queued for longer gets PgBouncer's notice, and its query then runs. */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QueueNoticeIT {
    private static PostgresCluster pg;

    private static long maxwaitMicros(Connection console) throws SQLException {
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(PostgresCluster.TEST_DB)) {
                    return rs.getLong("maxwait") * 1_000_000 + rs.getLong("maxwait_us");
                }
            }
        }
        return 0;
    }

    @Test
    void aClientQueuedLongerIsToldSo() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "1")
                .set("query_wait_notify", "1")
                .set("admin_users", PostgresCluster.MD5_USER));
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple");
             Connection holder = f.connect(); Connection waiter = f.connect()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("SELECT 1"); // holds the only server
            }
            Statement waiting = waiter.createStatement();
            CompletableFuture<SQLWarning> ran = CompletableFuture.supplyAsync(() -> {
                try (ResultSet rs = waiting.executeQuery("SELECT 2")) {
                    rs.next();
                    assertEquals(2, rs.getInt(1));
                    return waiting.getWarnings();
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            // more than one whole second queued, and a janitor run since
            PoolerFixture.await("queued 2.5 s", Duration.ofSeconds(10), () -> {
                try {
                    return maxwaitMicros(console) >= 2_500_000;
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            holder.commit();
            SQLWarning warning = ran.get(10, TimeUnit.SECONDS);
            assertNotNull(warning, "a notice came with the query's answer");
            assertEquals("No server connection available in postgres backend, client being queued",
                    warning.getMessage());
            assertEquals("00000", warning.getSQLState());
            assertEquals(null, warning.getNextWarning(), "once");
        }
    }
}

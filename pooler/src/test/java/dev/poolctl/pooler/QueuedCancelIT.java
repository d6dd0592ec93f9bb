package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A CancelRequest for a client still queued for a server (cl_waiting) is not lost: it is sent to the server
 * the client gets, right after the query it was meant for (PgBouncer's cl_waiting_cancel_req).
 */
@ExtendWith(PostgresClusterExtension.class)
class QueuedCancelIT {
    private static PostgresCluster pg;

    @RepeatedTest(3)
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void cancelOfAQueuedQueryReachesTheServerItGets() throws Exception {
        try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings().set("default_pool_size", "1"));
             Connection holder = pooler.connect();
             Connection queued = pooler.connect();
             Statement queuedStatement = queued.createStatement()) {
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("select 1"); // holds the only server: transaction open
            }
            CompletableFuture<SQLException> sleeper = CompletableFuture.supplyAsync(() -> {
                try (ResultSet rs = queuedStatement.executeQuery("select pg_sleep(30)")) {
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            var pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            PoolerFixture.await("the second client to queue", Duration.ofSeconds(10),
                    () -> pooler.inLoop(pool::waitingCount) == 1);

            queuedStatement.cancel();
            long start = System.nanoTime();
            holder.commit(); // releases the server to the queued client, whose cancel follows its query
            SQLException e = sleeper.get(20, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertNotNull(e, "the queued query was cancelled, not run for 30 s");
            assertEquals("57014", e.getSQLState(), e.getMessage());
            assertTrue(millis < 10_000, "cancelled soon after it got a server, took " + millis + " ms");
            try (Statement st = queued.createStatement(); ResultSet rs = st.executeQuery("select 42")) {
                assertTrue(rs.next());
                assertEquals(42, rs.getInt(1), "the cancelled client goes on working");
            }
        }
    }
}

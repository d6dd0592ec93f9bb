package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

/**
 * PgBouncer's test_cancel.py::test_cancel_race: many cancels of one client's query race with the release of its
 * server to the next client. A cancel still in flight when the server is released must not cancel the next
 * client's query: the server stays out of use (sv_being_canceled) until every cancel for it has finished.
 */
@ExtendWith(PostgresClusterExtension.class)
class CancelRaceIT {
    private static PostgresCluster pg;

    @RepeatedTest(3)
    @Timeout(value = 90, unit = TimeUnit.SECONDS)
    void cancelsOfOneClientNeverHitTheNextClientsQuery() throws Exception {
        ExecutorService threads = Executors.newFixedThreadPool(40);
        try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings().set("default_pool_size", "1"));
             Connection conn1 = pooler.connect();
             Connection conn2 = pooler.connect()) {
            var pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            CompletableFuture<SQLException> q1 = run(conn1, "select pg_sleep(30)", threads);
            PoolerFixture.await("the first query to hold the only server", Duration.ofSeconds(10),
                    () -> pooler.inLoop(pool::activeCount) == 1);
            CompletableFuture<SQLException> q2 = run(conn2, "select pg_sleep(1)", threads);
            PoolerFixture.await("the second client to queue", Duration.ofSeconds(10),
                    () -> pooler.inLoop(pool::waitingCount) == 1);

            PGConnection pg1 = conn1.unwrap(PGConnection.class);
            List<Future<?>> cancels = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                cancels.add(threads.submit(() -> {
                    pg1.cancelQuery();
                    return null;
                }));
            }
            for (Future<?> f : cancels) {
                f.get(30, TimeUnit.SECONDS);
            }

            SQLException e1 = q1.get(30, TimeUnit.SECONDS);
            assertNotNull(e1, "the first query was cancelled");
            assertEquals("57014", e1.getSQLState(), e1.getMessage());
            SQLException e2 = q2.get(30, TimeUnit.SECONDS);
            assertNull(e2, () -> "the second client's query was not cancelled: " + e2.getSQLState() + " "
                    + e2.getMessage());
            PoolerFixture.await("the cancel counters to drop back", Duration.ofSeconds(15),
                    () -> pooler.inLoop(() -> pool.activeCancelRequestCount() + pool.waitingCancelRequestCount()
                            + pool.beingCanceledCount()) == 0);
        } finally {
            threads.shutdownNow();
        }
    }

    private static CompletableFuture<SQLException> run(Connection c, String sql, ExecutorService threads) {
        return CompletableFuture.supplyAsync(() -> {
            try (Statement st = c.createStatement()) {
                st.execute(sql);
                return null;
            } catch (SQLException e) {
                return e;
            }
        }, threads);
    }
}

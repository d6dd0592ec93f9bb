package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

/**
 * max_client_conn as PgBouncer applies it: every client socket counts, and the limit refuses a StartupMessage for
 * a pool. A CancelRequest and an admin console login are not refused: when the pooler is full is exactly when an
 * operator needs the console and a client needs to cancel its runaway query.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MaxClientConnIT {
    private static PostgresCluster pg;

    @Test
    void aFullPoolerRefusesLoginsButStillCancelsAndLetsTheConsoleIn() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_client_conn", "2")
                .set("admin_users", PostgresCluster.MD5_USER));
             Connection busy = f.connect();
             Connection other = f.connect()) {
            SQLException refused = assertThrows(SQLException.class, () -> f.connect().close());
            assertTrue(refused.getMessage().contains("no more connections allowed (max_client_conn)"),
                    refused.getMessage());
            assertEquals("08P01", refused.getSQLState());

            try (Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=simple");
                 Statement st = console.createStatement();
                 ResultSet rs = st.executeQuery("SHOW LISTS")) {
                assertTrue(rs.next(), "the console answers while the pooler is full");
            }

            CompletableFuture<SQLException> sleeping = dev.poolctl.pooler.support.Queries.running(
                    busy.createStatement(), pg, "select pg_sleep(30)");
            busy.unwrap(PGConnection.class).cancelQuery(); // a third socket: a CancelRequest, not refused
            SQLException cancelled = sleeping.get(20, TimeUnit.SECONDS);
            assertEquals("57014", cancelled == null ? "none" : cancelled.getSQLState(), "the query was cancelled");

            try (Statement st = other.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
                assertTrue(rs.next(), "the admitted clients go on");
            }
            PoolerFixture.await("the refused, console and cancel sockets to be uncounted", Duration.ofSeconds(10),
                    () -> f.inLoop(() -> f.daemon().poolManager().clientCount()) == 2);
        }
    }
}

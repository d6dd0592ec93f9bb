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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * server_fast_close in session mode: after RECONNECT, a session whose server is idle is closed at once with
 * {@code database configuration changed}, one in a transaction at its end; without the setting both sessions keep
 * their servers until they end (PgBouncer's default).
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerFastCloseIT {
    private static PostgresCluster pg;

    private static int pid(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static int clients(Connection console) throws SQLException {
        int n = 0;
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
            while (rs.next()) {
                n += rs.getString("database").equals(PostgresCluster.TEST_DB) ? 1 : 0;
            }
        }
        return n;
    }

    private static void awaitClients(Connection console, int n, String what) {
        PoolerFixture.await(what, Duration.ofSeconds(10), () -> {
            try {
                return clients(console) == n;
            } catch (SQLException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static PoolerFixture start(String fastClose) throws Exception {
        return PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", "session")
                .set("server_fast_close", fastClose)
                .set("admin_users", PostgresCluster.MD5_USER));
    }

    private static Connection console(PoolerFixture f) throws SQLException {
        return f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "preferQueryMode=simple");
    }

    @Test
    void reconnectClosesSessionsAtTheirNextTransactionBoundary() throws Exception {
        try (PoolerFixture f = start("1"); Connection console = console(f);
             Connection idle = f.connect(); Connection inTx = f.connect()) {
            pid(idle);
            inTx.setAutoCommit(false);
            pid(inTx);
            try (Statement st = console.createStatement()) {
                st.execute("RECONNECT");
            }
            awaitClients(console, 1, "the idle session closed");
            SQLException e = assertThrows(SQLException.class, () -> pid(idle));
            assertTrue(e.getMessage().contains("database configuration changed") || "08003".equals(e.getSQLState())
                    || "08006".equals(e.getSQLState()), e.toString());
            assertTrue(f.log().contains("closing because: database configuration changed"), f.log());

            pid(inTx); // the transaction goes on to its end
            inTx.commit();
            awaitClients(console, 0, "the other session closed at its commit");
        }
    }

    @Test
    void offByDefaultAndASetTurnsItOn() throws Exception {
        try (PoolerFixture f = start("0"); Connection console = console(f); Connection session = f.connect()) {
            int before = pid(session);
            try (Statement st = console.createStatement()) {
                st.execute("RECONNECT");
            }
            assertEquals(before, pid(session), "PgBouncer's default: the session keeps its server (marked) to its end");
            try (Statement st = console.createStatement()) {
                st.execute("SET server_fast_close = 1");
            }
            awaitClients(console, 0, "the marked session closed once the setting is on");
        }
    }
}

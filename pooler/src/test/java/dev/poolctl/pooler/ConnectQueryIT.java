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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A database's connect_query runs once on each new server connection after login, before the server joins the
 * pool (PgBouncer's exec_on_connect, its test_connect_query); a failing one closes that server and is logged.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ConnectQueryIT {
    private static PostgresCluster pg;
    private static PoolerFixture pooler;

    @BeforeAll
    static void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("server_login_retry", "1")
                .database("cq", "host=127.0.0.1 port=${port} dbname=testdb"
                        + " connect_query='SET work_mem = ''7777kB''; SELECT 1 FROM generate_series(1, 3)'")
                .database("cqbad", "host=127.0.0.1 port=${port} dbname=testdb connect_query='select no_such_column'"));
    }

    @AfterAll
    static void stop() {
        pooler.close();
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }

    @Test
    void connectQueryRunsOnEachNewServerBeforeClientsUseIt() throws Exception {
        try (Connection c = pooler.connect("cq", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD)) {
            assertEquals("7777kB", scalar(c, "show work_mem"));
            assertEquals("1", scalar(c, "select 1"), "the connect_query's rows never reach the client");
        }
        try (Connection plain = pooler.connect()) {
            assertEquals("4MB", scalar(plain, "show work_mem"), "other databases' servers do not run it");
        }
    }

    @Test
    void failingConnectQueryClosesTheServerAndIsLogged() throws Exception {
        SQLException e = assertThrows(SQLException.class, () -> {
            try (Connection c = pooler.connect("cqbad", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD)) {
                scalar(c, "select 1");
            }
        });
        assertTrue(e.getMessage().contains("connect_query failed"), e.getMessage());
        pooler.awaitLog("connect_query failed: column \"no_such_column\" does not exist", Duration.ofSeconds(5));
        PoolerFixture.await("no server left in the cqbad pool", Duration.ofSeconds(5), () -> {
            var pool = pooler.pool("cqbad", PostgresCluster.MD5_USER);
            return pool == null || pooler.inLoop(pool::serverCount) == 0;
        });
        try (Connection plain = pooler.connect()) {
            assertEquals("1", scalar(plain, "select 1"), "other pools are unaffected");
        }
    }
}

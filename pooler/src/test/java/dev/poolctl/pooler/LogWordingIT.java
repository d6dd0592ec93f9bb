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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Log lines in PgBouncer's words, which its test suite and operators' alerts grep for: the registration of an
 * auto-database, the local address of a new server connection, and PostgreSQL's severity in a failed login.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LogWordingIT {
    private static final Duration WAIT = Duration.ofSeconds(15);
    private static PostgresCluster pg;

    private static int count(String log, String regex) {
        Matcher m = Pattern.compile(regex).matcher(log);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    private static void selectOne(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            assertTrue(rs.next());
        }
    }

    @Test
    void poolerLogsInPgBouncersWords() throws Exception {
        PoolerFixture.Settings settings = PoolerFixture.settings()
                .database("*", "host=127.0.0.1 port=${port} dbname=" + PostgresCluster.TEST_DB)
                .database("gone", "host=127.0.0.1 port=${port} dbname=no_such_pg_db");
        try (PoolerFixture f = PoolerFixture.start(pg, settings)) {
            try (Connection a = f.connect("autodb_w", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                 Connection b = f.connect("autodb_w", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD)) {
                selectOne(a);
                selectOne(b);
            }
            // objects.c find_or_register_database: once, for the first client of the database
            f.awaitLog("C-\\d+: autodb_w/\\S+ registered new auto-database: autodb_w", WAIT);
            assertEquals(1, count(f.log(), "registered new auto-database: autodb_w"), f.log());
            // server.c handle_connect: which local address the TCP connection went out from
            f.awaitLog("S-\\d+: autodb_w/\\S+ new connection to server \\(from 127\\.0\\.0\\.1:\\d+\\)", WAIT);

            SQLException e = assertThrows(SQLException.class,
                    () -> f.connect("gone", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD).close());
            assertTrue(e.getMessage().contains("database \"no_such_pg_db\" does not exist"), e.getMessage());
            // server.c kill_pool_logins_server_error: "server login failed: <severity> <message>"
            f.awaitLog("S-\\d+: gone/\\S+ server login failed: FATAL database \"no_such_pg_db\" does not exist",
                    WAIT);
            // disconnect_server(server, true, "%s", msg): the server's own words are the close reason
            f.awaitLog("S-\\d+: gone/\\S+ closing because: database \"no_such_pg_db\" does not exist \\(age=", WAIT);
        }
    }
}

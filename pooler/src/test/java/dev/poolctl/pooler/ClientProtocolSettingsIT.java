package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.RawClient;
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
 * disable_pqexec and application_name_add_host, as PgBouncer applies them: a simple-protocol Query closes the client
 * with {@code PQexec disallowed} while the extended protocol works; the server sees the client's address and port
 * after its application_name.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientProtocolSettingsIT {
    private static PostgresCluster pg;

    private static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void disablePqexecRefusesTheSimpleProtocol() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("disable_pqexec", "1"))) {
            try (Connection extended = f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD, "preferQueryMode=extended",
                    "assumeMinServerVersion=9.0")) { // no setup query: settings go in the StartupMessage
                assertEquals("1", single(extended, "SELECT 1"), "Parse/Bind/Execute pass");
            }
            // pgjdbc's simple mode sends its setup and its queries as Query messages
            SQLException e = assertThrows(SQLException.class, () -> {
                try (Connection simple = f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                        PostgresCluster.MD5_PASSWORD, "preferQueryMode=simple", "assumeMinServerVersion=9.0")) {
                    single(simple, "SELECT 1; SELECT 2");
                }
            });
            assertEquals("08P01", e.getSQLState(), e.toString());
            assertTrue(e.getMessage().contains("PQexec disallowed"), e.getMessage());
            f.awaitLog("client used \"Query\" packet type", Duration.ofSeconds(5));
            try (Connection again = f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD, "assumeMinServerVersion=9.0")) {
                assertEquals("3", single(again, "SELECT 3"), "the pooler and its server go on");
            }
        }
    }

    /** PgBouncer 1.26's login_notify_message: a NOTICE between BackendKeyData and ReadyForQuery, console included. */
    @Test
    void loginNotifyMessageIsANoticeInTheWelcome() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("login_notify_message", "connected to poolctl, not PostgreSQL")
                .set("admin_users", PostgresCluster.MD5_USER))) {
            for (String db : new String[] {PostgresCluster.TEST_DB, "pgbouncer"}) {
                try (RawClient c = RawClient.connect(f)) {
                    String types = RawClient.types(c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, db));
                    assertTrue(types.endsWith("KNZ"), db + ": " + types);
                }
                try (RawClient c = RawClient.connect(f)) {
                    RawClient.Message notice = c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, db)
                            .stream().filter(m -> m.type() == 'N').findFirst().orElseThrow();
                    assertEquals("connected to poolctl, not PostgreSQL", notice.fields().get('M'));
                    assertEquals("NOTICE", notice.fields().get('S'));
                    assertEquals("00000", notice.fields().get('C'));
                }
            }
        }
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()); RawClient c = RawClient.connect(f)) {
            String types = RawClient.types(c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    PostgresCluster.TEST_DB));
            assertTrue(types.endsWith("KZ"), "none by default: " + types);
        }
    }

    @Test
    void applicationNameAddHostAppendsTheClientsAddress() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("application_name_add_host", "1")
                .set("admin_users", PostgresCluster.MD5_USER));
             Connection c = f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                     PostgresCluster.MD5_PASSWORD, "ApplicationName=billing",
                     "assumeMinServerVersion=9.0"); // in the StartupMessage, not a SET after login
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            String seen = single(c, "SELECT current_setting('application_name')");
            assertEquals(seen, single(c, "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()"));
            Matcher m = Pattern.compile("billing - 127\\.0\\.0\\.1:(\\d+)").matcher(seen);
            assertTrue(m.matches(), "what the server has: " + seen);
            boolean listed = false;
            try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
                while (rs.next()) {
                    listed |= rs.getString("database").equals(PostgresCluster.TEST_DB)
                            && rs.getString("port").equals(m.group(1));
                }
            }
            assertTrue(listed, "the port is the client's own, as SHOW CLIENTS lists it");
            try (Statement st = c.createStatement()) {
                st.execute("SET application_name = 'later'");
            }
            assertEquals("later", single(c, "SELECT current_setting('application_name')"), "a SET is left alone");
        }
    }
}

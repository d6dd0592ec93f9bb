package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * auth_user + auth_query + auth_dbname (PgBouncer's client.c start_auth_query): a user that auth_file does not list
 * gets its password from PostgreSQL, through a server of the (auth_dbname, auth_user) pool, and the pooler then logs
 * in to PostgreSQL with it (md5 hash, or the keys a SCRAM client proved).
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AuthQueryIT {
    private static final String SCRAM_ROLE = "aq_scram";
    private static final String MD5_ROLE = "aq_md5";
    private static final String EXPIRED_ROLE = "aq_expired";
    private static final String STATS_ROLE = "aq_stats";
    private static final String PASSWORD = "aq secret";
    private static PostgresCluster pg;
    private PoolerFixture pooler;

    @BeforeAll
    static void roles() {
        pg.psqlAsSuperuser(PostgresCluster.TEST_DB, String.join("\n",
                "CREATE ROLE " + SCRAM_ROLE + " LOGIN PASSWORD '" + PASSWORD + "';",
                "CREATE ROLE " + STATS_ROLE + " LOGIN PASSWORD '" + PASSWORD + "';",
                "CREATE ROLE " + EXPIRED_ROLE + " LOGIN PASSWORD '" + PASSWORD + "' VALID UNTIL '1999-01-01';",
                "SET password_encryption = 'md5';",
                "CREATE ROLE " + MD5_ROLE + " LOGIN PASSWORD '" + PASSWORD + "';",
                // Fails when the session's search_path is the one an unauthenticated client asked for.
                "CREATE FUNCTION public.aq_lookup(u text) RETURNS TABLE(usename name, passwd text) AS $$",
                "BEGIN",
                "  IF current_setting('search_path') LIKE '%malicious%' THEN",
                "    RAISE EXCEPTION 'auth_query ran with the client''s search_path';",
                "  END IF;",
                "  RETURN QUERY SELECT s.usename, s.passwd FROM pg_catalog.pg_shadow s WHERE s.usename = u;",
                "END $$ LANGUAGE plpgsql;")).assertSuccess("auth_query roles");
    }

    @AfterAll
    static void dropRoles() {
        pg.psqlAsSuperuser(PostgresCluster.TEST_DB, "DROP FUNCTION public.aq_lookup(text); DROP ROLE " + SCRAM_ROLE
                + ", " + STATS_ROLE + ", " + EXPIRED_ROLE + ", " + MD5_ROLE + ";");
    }

    @AfterEach
    void stop() {
        if (pooler != null) {
            pooler.close();
        }
    }

    /** auth_user = postgres (trusted by PostgreSQL from 127.0.0.1, listed in auth_file): PgBouncer's usual setup. */
    private static PoolerFixture.Settings withAuthUser() {
        return PoolerFixture.settings()
                .set("auth_user", PostgresCluster.SUPERUSER)
                .set("admin_users", PostgresCluster.MD5_USER)
                .database("forced", "host=127.0.0.1 port=${port} dbname=testdb user=" + PostgresCluster.SUPERUSER)
                .database("authdb", "host=127.0.0.1 port=${port} dbname=testdb");
    }

    private String currentUser(String db, String user, String password, String... props) throws SQLException {
        return pooler.currentUser(db, user, password, props);
    }

    private SQLException refused(String db, String user, String password) {
        return assertThrows(SQLException.class, () -> currentUser(db, user, password));
    }

    private Connection admin() throws SQLException {
        return pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple");
    }

    /** SHOW POOLS' column for (database, user), or null when there is no such pool. */
    private String poolColumn(String db, String user, String column) throws SQLException {
        try (Connection a = admin(); Statement st = a.createStatement(); ResultSet rs = st.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(db) && rs.getString("user").equals(user)) {
                    return rs.getString(column);
                }
            }
        }
        return null;
    }

    @Test
    void aScramUserNotInAuthFileLogsInAndThePoolerLogsInToPostgresWithItsKeys() throws SQLException {
        pooler = PoolerFixture.start(pg, withAuthUser());
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD));
        // A second login runs the query again (a changed password counts at once) and reuses the pool's server.
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD));
        assertEquals("1", pg.queryValue("SELECT count(*) FROM pg_stat_activity WHERE usename = '" + SCRAM_ROLE + "'"),
                "transaction pooling: one server for both logins");
        // The query ran in the client's database as auth_user: that pool exists now.
        assertTrue(poolColumn(PostgresCluster.TEST_DB, PostgresCluster.SUPERUSER, "sv_idle") != null);
        SQLException wrong = refused(PostgresCluster.TEST_DB, SCRAM_ROLE, "wrong");
        assertTrue(wrong.getMessage().contains("authentication failed"), wrong.getMessage());
    }

    @Test
    void anMd5SecretFromTheQueryAnswersAnMd5Challenge() throws SQLException {
        pooler = PoolerFixture.start(pg, withAuthUser());
        // The forced user logs in to PostgreSQL; the client is checked against the md5 hash auth_query returned.
        assertEquals(PostgresCluster.SUPERUSER, currentUser("forced", MD5_ROLE, PASSWORD));
        SQLException e = refused("forced", MD5_ROLE, "wrong");
        assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
    }

    @Test
    void anUnknownOrExpiredUserGetsTheSameErrorAsAWrongPassword() throws Exception {
        pooler = PoolerFixture.start(pg, withAuthUser());
        SQLException unknown = refused("forced", "aq_nobody", PASSWORD);
        SQLException expired = refused("forced", EXPIRED_ROLE, PASSWORD);
        SQLException wrong = refused("forced", MD5_ROLE, "wrong");
        // No user-name probing: PgBouncer says "no such user" here; the log says it, the client cannot tell.
        assertEquals(wrong.getSQLState(), unknown.getSQLState());
        assertFalse(unknown.getMessage().contains("no such user"), unknown.getMessage());
        assertTrue(expired.getMessage().contains("authentication failed"), expired.getMessage());
        pooler.awaitLog("no such user: aq_nobody", Duration.ofSeconds(10));
    }

    @Test
    void anAuthDbnameRunsTheQueryInItsOwnPoolAndAConsoleUserCanUseIt() throws SQLException {
        pooler = PoolerFixture.start(pg, withAuthUser().set("auth_dbname", "authdb").set("stats_users", STATS_ROLE));
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD));
        assertTrue(poolColumn("authdb", PostgresCluster.SUPERUSER, "sv_idle") != null, "the auth_dbname's pool ran it");
        assertEquals(null, poolColumn(PostgresCluster.TEST_DB, PostgresCluster.SUPERUSER, "sv_idle"));
        // The console has no server of its own: with auth_dbname set, its users may come from auth_query too.
        try (Connection c = pooler.connect("pgbouncer", STATS_ROLE, PASSWORD, "preferQueryMode=simple");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW STATS")) {
            assertTrue(rs.next());
        }
    }

    @Test
    void configurationMistakesAreBouncerConfigErrorsWithTheReasonInTheLog() throws Exception {
        pooler = PoolerFixture.start(pg, withAuthUser()
                .database("nowhere", "host=127.0.0.1 port=${port} dbname=testdb auth_dbname=not_configured")
                .database("broken", "host=127.0.0.1 port=${port} dbname=testdb"
                        + " auth_query='SELECT usename, passwd FROM no_such_table WHERE usename = $1'")
                .database("onecol", "host=127.0.0.1 port=${port} dbname=testdb"
                        + " auth_query='SELECT passwd FROM pg_shadow WHERE usename = $1'"));
        assertConfigError("nowhere", SCRAM_ROLE, "authentication database \"not_configured\" is not configured");
        // The console's database is no auth_dbname (it has no server).
        assertConfigError("pgbouncer", STATS_ROLE, "cannot use the reserved \"pgbouncer\" database as an auth_dbname");
        assertConfigError("broken", SCRAM_ROLE, "error in auth_query: .*\"no_such_table\" does not exist");
        assertConfigError("onecol", SCRAM_ROLE, "expected 2 columns from auth_query, not 1");
        // None of it hurt anyone else.
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD));
    }

    /** The client is told only "bouncer config error"; the log says why ({@code logRegex}). */
    private void assertConfigError(String db, String role, String logRegex) throws Exception {
        SQLException e = refused(db, role, PASSWORD);
        assertTrue(e.getMessage().contains("bouncer config error"), e.getMessage());
        pooler.awaitLog(logRegex, Duration.ofSeconds(10));
    }

    @Test
    void theQueryNeverRunsWithTheClientsSettings() throws SQLException {
        // CVE-2025-12819: a search_path in the StartupMessage must not reach the auth_query's session.
        pooler = PoolerFixture.start(pg, withAuthUser()
                .set("track_extra_parameters", "search_path")
                .set("auth_query", "SELECT * FROM public.aq_lookup($1)"));
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD,
                "options=-c search_path=malicious,public"));
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD,
                "options=-c search_path=malicious,public"), "again, on a server a client with that path used");
    }

    @Test
    void aClientThatLeavesWhileItsQueryWaitsLeavesTheAuthPoolToo() throws Exception {
        pooler = PoolerFixture.start(pg, withAuthUser().set("auth_dbname", "authdb"));
        try (Connection a = admin(); Statement st = a.createStatement()) {
            st.execute("PAUSE authdb");
            try (RawClient c = RawClient.connect(pooler)) {
                c.send(RawClient.startupPacket(SCRAM_ROLE, PostgresCluster.TEST_DB));
                PoolerFixture.await("the login queued in the auth pool", Duration.ofSeconds(10),
                        () -> "1".equals(column("authdb", "cl_waiting")));
            }
            PoolerFixture.await("the abandoned login left the auth pool", Duration.ofSeconds(10),
                    () -> "0".equals(column("authdb", "cl_waiting")));
            st.execute("RESUME authdb");
        }
        assertEquals(SCRAM_ROLE, currentUser(PostgresCluster.TEST_DB, SCRAM_ROLE, PASSWORD));
    }

    private String column(String db, String name) {
        try {
            return poolColumn(db, PostgresCluster.SUPERUSER, name);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aPasswordSentBeforeTheChallengeWaitsForItAndFails() throws Exception {
        pooler = PoolerFixture.start(pg, withAuthUser());
        try (RawClient c = RawClient.connect(pooler)) {
            byte[] password = (PASSWORD + "\0").getBytes(StandardCharsets.UTF_8);
            c.send(RawClient.concat(RawClient.startupPacket(MD5_ROLE, "forced"), RawClient.message('p', password)));
            RawClient.Message challenge = c.read();
            assertEquals('R', challenge.type(), "the md5 challenge still comes first");
            RawClient.Message error = c.readError();
            Map<Character, String> f = error.fields();
            assertTrue(f.get('M').contains("password authentication failed"), f.toString());
        }
        assertEquals(PostgresCluster.SUPERUSER, currentUser("forced", MD5_ROLE, PASSWORD));
    }
}

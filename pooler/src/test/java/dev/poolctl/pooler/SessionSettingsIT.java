package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Session settings survive transaction pooling (issue 6, part 2). Database {@code st_two} has two servers and
 * {@code server_round_robin} hands them out in turn, so a client's consecutive transactions run on both
 * (checked with pg_backend_pid()): a setting made on one must hold on the other.
 *
 * <p>PostgreSQL before 18 does not report search_path with ParameterStatus, so these tests also show the
 * read-back at the end of a transaction works; IntervalStyle is reported and goes the ParameterStatus way.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SessionSettingsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final String DEFAULT_PATH = "\"$user\", public";
    private static PostgresCluster pg;
    private static PoolerFixture pooler;

    @BeforeAll
    static void start() {
        pg.query(PostgresCluster.TEST_DB, "DROP SCHEMA IF EXISTS st_a CASCADE; CREATE SCHEMA st_a; "
                + "CREATE TABLE st_a.st_only (v text); INSERT INTO st_a.st_only VALUES ('in st_a'); "
                + "GRANT USAGE ON SCHEMA st_a TO PUBLIC; GRANT SELECT ON st_a.st_only TO PUBLIC");
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("server_round_robin", "1")
                .database("st_two", "host=127.0.0.1 port=${port} dbname=testdb pool_size=2 min_pool_size=2")
                .database("st_stmt", "host=127.0.0.1 port=${port} dbname=testdb pool_size=2 min_pool_size=2 "
                        + "pool_mode=statement")
                .database("st_session", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1 pool_mode=session"));
    }

    @AfterAll
    static void stop() {
        pooler.close();
    }

    private static Connection connect(String... props) throws SQLException, IOException {
        return connectTo("st_two", props);
    }

    private static Connection connectTo(String db, String... props) throws SQLException, IOException {
        awaitIdleServers(db);
        return pooler.connect(db, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, props);
    }

    /** Both servers logged in and idle, so the next transactions alternate between them. */
    private static void awaitIdleServers(String db) throws IOException {
        try (RawClient holder = RawClient.connect(pooler)) {
            holder.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, db);
            PoolerFixture.await("2 idle servers", WAIT, () -> {
                Pool p = pooler.pool(db, PostgresCluster.MD5_USER);
                return p != null && pooler.inLoop(p::idleCount) == 2;
            });
        }
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    /** {@code setting} as each server sees it for this client, over six transactions: by backend pid. */
    private static Map<Integer, String> settingOnEachServer(Connection c, String setting) throws SQLException {
        Map<Integer, String> seen = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            try (Statement st = c.createStatement();
                    ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), current_setting('" + setting + "')")) {
                assertTrue(rs.next());
                String value = rs.getString(2);
                String before = seen.put(rs.getInt(1), value);
                assertTrue(before == null || before.equals(value), "changed on one server: " + before + " " + value);
            }
        }
        assertEquals(2, seen.size(), "transactions ran on both servers: " + seen);
        return seen;
    }

    private static void assertOnBothServers(Connection c, String setting, String expected) throws SQLException {
        Map<Integer, String> seen = settingOnEachServer(c, setting);
        assertEquals(Set.of(expected), new HashSet<>(seen.values()), setting + " by server: " + seen);
    }

    @Test
    void searchPathSetInOneTransactionHoldsOnTheNextServer() throws Exception {
        try (Connection c = connect()) {
            Pool pool = pooler.pool("st_two", PostgresCluster.MD5_USER);
            assertEquals(pg.serverVersionNum() >= 180000, pooler.inLoop(() -> pool.welcome().isReported("search_path")),
                    "search_path is reported (GUC_REPORT) from PostgreSQL 18 on");
            exec(c, "SET search_path TO st_a, public");
            assertOnBothServers(c, "search_path", "st_a, public");
            Set<Integer> pids = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                try (Statement st = c.createStatement();
                        ResultSet rs = st.executeQuery("SELECT pg_backend_pid(), v FROM st_only")) {
                    assertTrue(rs.next());
                    pids.add(rs.getInt(1));
                    assertEquals("in st_a", rs.getString(2)); // the unqualified name resolves in st_a
                }
            }
            assertEquals(2, pids.size(), "both servers: " + pids);
            for (int i = 0; i < 2; i++) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW search_path")) {
                    assertTrue(rs.next());
                    assertEquals("st_a, public", rs.getString(1));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"SELECT set_config('search_path', 'st_a', false)", "SET SESSION search_path = st_a",
            "/* comment */ set schema 'st_a'"})
    void otherWaysToSetSearchPath(String sql) throws Exception {
        try (Connection c = connect()) {
            exec(c, sql);
            assertOnBothServers(c, "search_path", "st_a");
        }
    }

    @Test
    void setInARolledBackTransactionDoesNotStick() throws Exception {
        try (Connection c = connect()) {
            c.setAutoCommit(false);
            exec(c, "SET search_path TO st_a");
            c.rollback();
            exec(c, "SET LOCAL search_path TO st_a");
            c.commit();
            c.setAutoCommit(true);
            assertOnBothServers(c, "search_path", DEFAULT_PATH);
            // A SET committed inside a transaction block does stick.
            c.setAutoCommit(false);
            exec(c, "SET search_path TO st_a");
            c.commit();
            c.setAutoCommit(true);
            assertOnBothServers(c, "search_path", "st_a");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"RESET search_path", "SET search_path TO DEFAULT", "RESET ALL", "DISCARD ALL"})
    void resetGivesTheDefaultOnEveryServer(String reset) throws Exception {
        try (Connection c = connect()) {
            exec(c, "SET search_path TO st_a");
            assertOnBothServers(c, "search_path", "st_a");
            exec(c, reset);
            assertOnBothServers(c, "search_path", DEFAULT_PATH);
        }
    }

    @Test
    void reportedIntervalStyleSurvives() throws Exception {
        try (Connection c = connect()) {
            exec(c, "SET IntervalStyle TO postgres_verbose");
            assertOnBothServers(c, "IntervalStyle", "postgres_verbose");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT interval '1 day'")) {
                assertTrue(rs.next());
                assertEquals("@ 1 day", rs.getString(1));
            }
        }
    }

    @Test
    void reportedParameterOutsideTheFixedSetSurvives() throws Exception {
        // default_transaction_read_only is reported (PostgreSQL 14+) and not in PgBouncer's fixed varcache set.
        try (Connection c = connect()) {
            exec(c, "SET default_transaction_read_only = on");
            assertOnBothServers(c, "default_transaction_read_only", "on");
        }
        try (Connection other = connect()) {
            assertOnBothServers(other, "default_transaction_read_only", "off");
        }
    }

    @Test
    void startupOptionsHoldAcrossServers() throws Exception {
        try (Connection c = connect("options=-c search_path=st_a,public -c IntervalStyle=iso_8601")) {
            assertOnBothServers(c, "search_path", "st_a,public"); // as given: PostgreSQL shows it so too
            assertOnBothServers(c, "IntervalStyle", "iso_8601");
        }
        try (Connection c = connect("currentSchema=st_a")) { // pgjdbc sends search_path as a startup parameter
            assertOnBothServers(c, "search_path", "st_a");
        }
    }

    @Test
    void unsupportedStartupOptionsAreRefusedWithPgBouncersWords() {
        SQLException e = assertThrows(SQLException.class, () -> connect("options=-c statement_timeout=5s"));
        assertTrue(e.getMessage().contains("unsupported startup parameter in options: statement_timeout"),
                e.getMessage());
        assertEquals("08P01", e.getSQLState());
        e = assertThrows(SQLException.class, () -> connect("options=-d 1"));
        assertTrue(e.getMessage().contains(
                "unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed"),
                e.getMessage());
        e = assertThrows(SQLException.class, () -> connect("options=-c search_path"));
        assertTrue(e.getMessage().contains("only '-c config=val'"), e.getMessage());
    }

    @Test
    void statementModeCarriesSearchPathToo() throws Exception {
        try (Connection c = connectTo("st_stmt")) {
            exec(c, "SET search_path TO st_a");
            assertOnBothServers(c, "search_path", "st_a");
            exec(c, "RESET search_path");
            assertOnBothServers(c, "search_path", DEFAULT_PATH);
        }
    }

    @Test
    void sessionModeNeedsNoReadBack() throws Exception {
        try (Connection c = pooler.connect("st_session", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD)) {
            exec(c, "SET search_path TO st_a");
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT v FROM st_only")) {
                assertTrue(rs.next());
            }
        }
        // The session-mode server keeps the client's SET until server_reset_query (DISCARD ALL) on release.
        try (Connection c = pooler.connect("st_session", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW search_path")) {
            assertTrue(rs.next());
            assertEquals(DEFAULT_PATH, rs.getString(1));
        }
    }

    @Test
    void valuesWithQuotesAndBackslashesAreAppliedAsGiven() throws Exception {
        try (Connection c = connect()) {
            exec(c, "SET application_name = E'it''s a \\\\ test'");
            assertOnBothServers(c, "application_name", "it's a \\ test");
            exec(c, "SET search_path = \"we'ird\", public");
            assertOnBothServers(c, "search_path", "\"we'ird\", public");
        }
    }

    @Test
    void pipelinedQueriesWithARawClient() throws Exception {
        awaitIdleServers("st_two");
        try (RawClient c = RawClient.connect(pooler)) {
            c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "st_two");
            // Both queries in one write: the read-back waits for the second one's end.
            c.send(RawClient.concat(RawClient.query("SET search_path TO st_a"),
                    RawClient.query("SELECT current_setting('search_path')")));
            List<RawClient.Message> first = c.readUntil('Z');
            List<RawClient.Message> second = c.readUntil('Z');
            assertEquals('I', (char) first.get(first.size() - 1).body()[0]);
            assertEquals(List.of("st_a"), RawClient.firstColumn(second));
            assertEquals('I', (char) second.get(second.size() - 1).body()[0]);
            Set<String> pids = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                List<RawClient.Message> m =
                        c.simpleQuery("SELECT pg_backend_pid() || ' ' || current_setting('search_path')");
                String[] row = RawClient.firstColumn(m).get(0).split(" ", 2);
                pids.add(row[0]);
                assertEquals("st_a", row[1]);
                assertEquals(1, m.stream().filter(x -> x.type() == 'Z').count());
            }
            assertEquals(2, pids.size(), pids.toString());
        }
    }

    @Test
    void anotherClientOnTheSameServersIsNotAffected() throws Exception {
        try (Connection first = connect(); Connection second = connect()) {
            exec(first, "SET search_path TO st_a");
            exec(first, "SET IntervalStyle TO sql_standard");
            assertOnBothServers(first, "search_path", "st_a"); // now both servers have st_a set
            assertOnBothServers(second, "search_path", DEFAULT_PATH);
            assertOnBothServers(second, "IntervalStyle", "postgres");
            assertOnBothServers(first, "search_path", "st_a");
            assertOnBothServers(first, "IntervalStyle", "sql_standard");
        }
    }
}

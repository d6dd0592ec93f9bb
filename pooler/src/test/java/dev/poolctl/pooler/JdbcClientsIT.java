package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.io.BufferedReader;
import java.io.StringReader;
import java.io.StringWriter;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * pgjdbc through the real pooler to the real cluster, in session and transaction pool mode: simple and
 * extended protocol, batches, cursors, COPY, a 20 MB value, cancel, transactions, errors, and the varcache.
 *
 * <p>Both modes use pgjdbc's defaults: after {@code prepareThreshold} (5) executions a PreparedStatement
 * becomes a named server-side statement ({@code S_1}, ...), which in transaction mode the pooler maps to its
 * own names and prepares on whichever server the next transaction gets (max_prepared_statements, see
 * PreparedStatementsIT).
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JdbcClientsIT {
    private static final String SESSION = "session";
    private static final String TRANSACTION = "transaction";

    private static PostgresCluster pg;
    private static final Map<String, PoolerFixture> FIXTURES = new LinkedHashMap<>();

    @BeforeAll
    static void startPoolers() {
        for (String mode : List.of(SESSION, TRANSACTION)) {
            FIXTURES.put(mode, PoolerFixture.start(pg, PoolerFixture.settings()
                    .set("pool_mode", mode)
                    .set("default_pool_size", "5")
                    // a pool with one server, for the varcache test: clients must share it
                    .database("testdb_one", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1")));
        }
        pg.query("CREATE TABLE IF NOT EXISTS jdbc_it_rows (mode text NOT NULL, id int NOT NULL, val text)");
        pg.query("GRANT ALL ON jdbc_it_rows TO PUBLIC");
    }

    @AfterAll
    static void stopPoolers() {
        FIXTURES.values().forEach(PoolerFixture::close);
        FIXTURES.clear();
        if (pg != null) {
            pg.query("DROP TABLE IF EXISTS jdbc_it_rows");
        }
    }

    private static PoolerFixture fixture(String mode) {
        return FIXTURES.get(mode);
    }

    /** md5_user to testdb. */
    private static Connection connect(String mode, String... props) throws SQLException {
        return connectTo(mode, PostgresCluster.TEST_DB, props);
    }

    private static Connection connectTo(String mode, String db, String... props) throws SQLException {
        List<String> all = new ArrayList<>(List.of(props));
        return fixture(mode).connect(db, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                all.toArray(String[]::new));
    }

    /** A query that may throw SQLException. */
    private interface SqlCall {
        String call() throws SQLException;
    }

    /**
     * Runs {@code query} again once if a cancel hit it. PostgreSQL's postmaster signals a cancelled backend twice
     * (its pid and its process group, postmaster.c signal_child); on a loaded machine the second SIGINT can land on
     * the client's next query, which is PostgreSQL's race, not the pooler's.
     */
    private static String afterLateCancel(SqlCall query) throws SQLException {
        try {
            return query.call();
        } catch (SQLException e) {
            if (!"57014".equals(e.getSQLState())) {
                throw e;
            }
            return query.call();
        }
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), "one row from " + sql);
            String v = rs.getString(1);
            assertFalse(rs.next(), "only one row from " + sql);
            return v;
        }
    }

    private static void clearRows(Connection c, String mode) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM jdbc_it_rows WHERE mode = ?")) {
            ps.setString(1, mode);
            ps.executeUpdate();
        }
    }

    // ---------------------------------------------------------------- plain statements

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void plainStatements(String mode) throws SQLException {
        try (Connection c = connect(mode); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT 1, 'two', 3.5::numeric, NULL::text, current_database(), current_user")) {
                assertTrue(rs.next());
                assertEquals(1, rs.getInt(1));
                assertEquals("two", rs.getString(2));
                assertEquals(new java.math.BigDecimal("3.5"), rs.getBigDecimal(3));
                assertEquals(null, rs.getString(4));
                assertEquals("testdb", rs.getString(5));
                assertEquals(PostgresCluster.MD5_USER, rs.getString(6));
                assertFalse(rs.next());
            }
            try (ResultSet rs = st.executeQuery("SELECT i, i * i FROM generate_series(1, 100) i ORDER BY i")) {
                int n = 0;
                while (rs.next()) {
                    n++;
                    assertEquals(n, rs.getInt(1));
                    assertEquals(n * n, rs.getInt(2));
                }
                assertEquals(100, n);
            }
            // many round trips on one connection
            for (int i = 0; i < 50; i++) {
                assertEquals(Integer.toString(i), scalar(c, "SELECT " + i));
            }
        }
    }

    // ---------------------------------------------------------------- prepared statements

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void preparedStatementExecutedManyTimes(String mode) throws SQLException {
        try (Connection c = connect(mode);
             PreparedStatement ps = c.prepareStatement("SELECT ?::int * 2, ?::text || '!'")) {
            for (int i = 0; i < 12; i++) {
                ps.setInt(1, i);
                ps.setString(2, "v" + i);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(i * 2, rs.getInt(1));
                    assertEquals("v" + i + "!", rs.getString(2));
                }
            }
        }
    }

    /** Session mode with pgjdbc's default prepareThreshold=5: the statement becomes a named server-side one. */
    @Test
    void sessionModeDefaultThresholdUsesServerSidePreparedStatements() throws SQLException {
        try (Connection c = fixture(SESSION).connect();
             PreparedStatement ps = c.prepareStatement("SELECT ?::int + 1")) {
            for (int i = 0; i < 10; i++) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(i + 1, rs.getInt(1));
                }
            }
            // The same server session holds the named statement pgjdbc created after the threshold.
            int prepared = Integer.parseInt(scalar(c,
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'SELECT $1::int + 1%'"));
            assertEquals(1, prepared, "pgjdbc prepared the statement server-side after 5 executions");
        }
    }

    // ---------------------------------------------------------------- batches

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void batchOf100Inserts(String mode) throws SQLException {
        try (Connection c = connect(mode)) {
            clearRows(c, mode);
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO jdbc_it_rows (mode, id, val) VALUES (?, ?, ?)")) {
                for (int i = 1; i <= 100; i++) {
                    ps.setString(1, mode);
                    ps.setInt(2, i);
                    ps.setString(3, "row" + i);
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                assertEquals(100, counts.length);
                for (int n : counts) {
                    assertTrue(n == 1 || n == Statement.SUCCESS_NO_INFO, "update count " + n);
                }
            }
            try (PreparedStatement q = c.prepareStatement("SELECT count(*), sum(id) FROM jdbc_it_rows WHERE mode = ?")) {
                q.setString(1, mode);
                try (ResultSet rs = q.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(100, rs.getInt(1));
                    assertEquals(5050, rs.getInt(2));
                }
            }
            // a batch of plain statements, too
            try (Statement st = c.createStatement()) {
                for (int i = 0; i < 10; i++) {
                    st.addBatch("UPDATE jdbc_it_rows SET val = 'b" + i + "' WHERE mode = '" + mode + "' AND id = " + (i + 1));
                }
                int[] counts = st.executeBatch();
                assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, counts);
            }
            clearRows(c, mode);
        }
    }

    // ---------------------------------------------------------------- cursor

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void cursorWithFetchSize(String mode) throws SQLException {
        try (Connection c = connect(mode)) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.setFetchSize(10);
                long sum = 0;
                int rows = 0;
                try (ResultSet rs = st.executeQuery("SELECT i FROM generate_series(1, 1000) i")) {
                    while (rs.next()) {
                        sum += rs.getInt(1);
                        rows++;
                    }
                }
                assertEquals(1000, rows);
                assertEquals(500_500L, sum);
            }
            c.commit();
            c.setAutoCommit(true);
            assertEquals("1", scalar(c, "SELECT 1"));
        }
    }

    // ---------------------------------------------------------------- COPY

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void copyInAndOut(String mode) throws Exception {
        try (Connection c = connect(mode)) {
            clearRows(c, mode);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            StringBuilder data = new StringBuilder();
            for (int i = 1; i <= 10_000; i++) {
                data.append(mode).append('\t').append(i).append('\t').append("val").append(i).append('\n');
            }
            long copied = copy.copyIn("COPY jdbc_it_rows (mode, id, val) FROM STDIN", new StringReader(data.toString()));
            assertEquals(10_000, copied);
            assertEquals("10000 50005000", scalar(c,
                    "SELECT count(*) || ' ' || sum(id) FROM jdbc_it_rows WHERE mode = '" + mode + "'"));

            StringWriter out = new StringWriter();
            long exported = copy.copyOut("COPY (SELECT id, val FROM jdbc_it_rows WHERE mode = '" + mode
                    + "' ORDER BY id) TO STDOUT", out);
            assertEquals(10_000, exported);
            long sum = 0;
            int lines = 0;
            try (BufferedReader r = new BufferedReader(new StringReader(out.toString()))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines++;
                    String[] f = line.split("\t");
                    int id = Integer.parseInt(f[0]);
                    assertEquals(lines, id);
                    assertEquals("val" + id, f[1]);
                    sum += id;
                }
            }
            assertEquals(10_000, lines);
            assertEquals(50_005_000L, sum);
            clearRows(c, mode);
            assertEquals("1", scalar(c, "SELECT 1"), "connection usable after COPY");
        }
    }

    // ---------------------------------------------------------------- a large row

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void twentyMegabyteValueStreamsThrough(String mode) throws SQLException {
        int size = 20 * 1024 * 1024;
        try (Connection c = connect(mode)) {
            // server -> client
            String big = scalar(c, "SELECT repeat('x', " + size + ")");
            assertEquals(size, big.length());
            assertTrue(big.chars().allMatch(ch -> ch == 'x'), "content intact");
            // client -> server: a 20 MB bind parameter
            try (PreparedStatement ps = c.prepareStatement("SELECT length(?), md5(?) = md5(repeat('y', " + size + "))")) {
                String y = "y".repeat(size);
                ps.setString(1, y);
                ps.setString(2, y);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(size, rs.getInt(1));
                    assertTrue(rs.getBoolean(2), "content intact");
                }
            }
            // a 20 MB bytea
            try (Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT convert_to(repeat('z', " + size + "), 'UTF8')")) {
                assertTrue(rs.next());
                byte[] bytes = rs.getBytes(1);
                assertEquals(size, bytes.length);
                assertEquals('z', bytes[size - 1]);
            }
            assertEquals("1", scalar(c, "SELECT 1"));
        }
    }

    // ---------------------------------------------------------------- cancel

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void cancelFromAnotherThread(String mode) throws Exception {
        ExecutorService runner = Executors.newSingleThreadExecutor();
        try (Connection c = connect(mode, "ApplicationName=cancel-" + mode); Statement st = c.createStatement()) {
            Future<SQLException> running = runner.submit(() -> {
                try {
                    st.execute("SELECT pg_sleep(30)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            PoolerFixture.await("pg_sleep running on the server", Duration.ofSeconds(10), () -> "1".equals(pg.queryValue(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cancel-" + mode
                            + "' AND state = 'active' AND query = 'SELECT pg_sleep(30)'")));
            long t0 = System.nanoTime();
            st.cancel();
            SQLException e = running.get(10, TimeUnit.SECONDS);
            long millis = (System.nanoTime() - t0) / 1_000_000;
            assertNotNull(e, "the query was cancelled, not completed");
            assertEquals("57014", e.getSQLState(), e.getMessage());
            assertTrue(millis < 5_000, "cancelled within a few seconds, took " + millis + " ms");
            // still usable
            assertEquals("42", afterLateCancel(() -> scalar(c, "SELECT 42")));
            assertEquals("7", afterLateCancel(() -> scalar(c, "SELECT pg_sleep(0.01)::text || 7")));
        } finally {
            runner.shutdownNow();
            assertTrue(runner.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // ---------------------------------------------------------------- transactions

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void transactionsCommitAndRollback(String mode) throws SQLException {
        try (Connection c = connect(mode)) {
            clearRows(c, mode);
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.executeUpdate("INSERT INTO jdbc_it_rows VALUES ('" + mode + "', 1, 'committed')");
                c.commit();
                st.executeUpdate("INSERT INTO jdbc_it_rows VALUES ('" + mode + "', 2, 'rolled back')");
                st.executeUpdate("UPDATE jdbc_it_rows SET val = 'changed' WHERE mode = '" + mode + "' AND id = 1");
                assertEquals("2", scalar(c, "SELECT count(*) FROM jdbc_it_rows WHERE mode = '" + mode + "'"),
                        "own uncommitted rows visible inside the transaction");
                c.rollback();
                // a savepoint
                st.executeUpdate("INSERT INTO jdbc_it_rows VALUES ('" + mode + "', 3, 'kept')");
                java.sql.Savepoint sp = c.setSavepoint();
                st.executeUpdate("INSERT INTO jdbc_it_rows VALUES ('" + mode + "', 4, 'dropped')");
                c.rollback(sp);
                c.commit();
            }
            c.setAutoCommit(true);
            assertEquals("1:committed,3:kept", scalar(c, "SELECT string_agg(id || ':' || val, ',' ORDER BY id)"
                    + " FROM jdbc_it_rows WHERE mode = '" + mode + "'"));
            // and nobody else sees anything else
            assertEquals("2", pg.queryValue("SELECT count(*) FROM jdbc_it_rows WHERE mode = '" + mode + "'"));
            clearRows(c, mode);
        }
    }

    // ---------------------------------------------------------------- errors and recovery

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void errorThenRecovery(String mode) throws SQLException {
        try (Connection c = connect(mode); Statement st = c.createStatement()) {
            SQLException e = assertThrows(SQLException.class, () -> st.executeQuery("SELECT 1/0"));
            assertEquals("22012", e.getSQLState());
            assertEquals("1", scalar(c, "SELECT 1"));
            e = assertThrows(SQLException.class, () -> st.executeQuery("SELECT * FROM no_such_table"));
            assertEquals("42P01", e.getSQLState());
            try (PreparedStatement ps = c.prepareStatement("SELECT ?::int")) {
                ps.setString(1, "not a number");
                e = assertThrows(SQLException.class, ps::executeQuery);
                assertEquals("22P02", e.getSQLState());
                ps.setString(1, "5");
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(5, rs.getInt(1));
                }
            }
            // an error inside a transaction: aborted until rollback, then fine
            c.setAutoCommit(false);
            st.execute("SELECT 1");
            e = assertThrows(SQLException.class, () -> st.execute("SELECT 1/0"));
            assertEquals("22012", e.getSQLState());
            e = assertThrows(SQLException.class, () -> st.execute("SELECT 2"));
            assertEquals("25P02", e.getSQLState(), "in failed transaction");
            c.rollback();
            assertEquals("3", scalar(c, "SELECT 3"));
            c.commit();
            c.setAutoCommit(true);
            assertEquals("4", scalar(c, "SELECT 4"));
        }
    }

    // ---------------------------------------------------------------- session state

    @Test
    void sessionModeSetPersists() throws SQLException {
        try (Connection c = fixture(SESSION).connect(); Statement st = c.createStatement()) {
            st.execute("SET application_name = 'session-app'");
            st.execute("SET TimeZone = 'America/New_York'");
            st.execute("CREATE TEMP TABLE session_tmp AS SELECT 1 AS x");
            for (int i = 0; i < 5; i++) {
                assertEquals("session-app", scalar(c, "SELECT current_setting('application_name')"));
                assertEquals("America/New_York", scalar(c, "SELECT current_setting('TimeZone')"));
                assertEquals("1", scalar(c, "SELECT x FROM session_tmp"));
            }
            String pid = scalar(c, "SELECT pg_backend_pid()");
            assertEquals(pid, scalar(c, "SELECT pg_backend_pid()"), "session mode keeps one server");
        }
        // server_reset_query (DISCARD ALL) wipes it for the next client of the same server
        try (Connection c = fixture(SESSION).connect()) {
            assertEquals("0", scalar(c, "SELECT count(*) FROM pg_tables WHERE tablename = 'session_tmp'"
                    + " AND schemaname LIKE 'pg_temp%'"));
            assertFalse("session-app".equals(scalar(c, "SELECT current_setting('application_name')")));
        }
    }

    /**
     * Transaction mode varcache: two clients with different application_name share the only server of a
     * pool_size=1 pool; each sees its own value, because the pooler SETs it before linking the server.
     */
    @Test
    void transactionModeVarcacheGivesEachClientItsOwnApplicationName() throws SQLException {
        try (Connection a = connectTo(TRANSACTION, "testdb_one", "ApplicationName=appA");
             Connection b = connectTo(TRANSACTION, "testdb_one", "ApplicationName=appB")) {
            for (int i = 0; i < 5; i++) {
                assertEquals("appA", scalar(a, "SELECT current_setting('application_name')"));
                assertEquals("appB", scalar(b, "SELECT current_setting('application_name')"));
            }
            String pidA = scalar(a, "SELECT pg_backend_pid()");
            String pidB = scalar(b, "SELECT pg_backend_pid()");
            assertEquals(pidA, pidB, "both clients ran on the one server of the pool");
            Pool pool = fixture(TRANSACTION).pool("testdb_one", PostgresCluster.MD5_USER);
            assertEquals(1, (int) fixture(TRANSACTION).inLoop(pool::serverCount));

            // A SET by a client is remembered too, and re-applied on its next transaction
            try (Statement st = a.createStatement()) {
                st.execute("SET application_name = 'appA2'");
            }
            assertEquals("appB", scalar(b, "SELECT current_setting('application_name')"));
            assertEquals("appA2", scalar(a, "SELECT current_setting('application_name')"));
            assertEquals("appB", scalar(b, "SELECT current_setting('application_name')"));
        }
    }
}

package dev.poolctl.pooler;

import dev.poolctl.pooler.pool.PoolServer;
import static dev.poolctl.pooler.support.RawClient.bind;
import static dev.poolctl.pooler.support.RawClient.closeStatement;
import static dev.poolctl.pooler.support.RawClient.concat;
import static dev.poolctl.pooler.support.RawClient.describe;
import static dev.poolctl.pooler.support.RawClient.execute;
import static dev.poolctl.pooler.support.RawClient.firstColumn;
import static dev.poolctl.pooler.support.RawClient.parse;
import static dev.poolctl.pooler.support.RawClient.sync;
import static dev.poolctl.pooler.support.RawClient.types;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.session.ServerConnection;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
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
 * Protocol-level named prepared statements in transaction (and statement) pool mode, PgBouncer 1.21+'s
 * {@code max_prepared_statements}: by hand with a raw protocol client, with pgjdbc and with pgbench.
 *
 * <p>Database {@code ps_two} has two servers and {@code server_round_robin} hands them out in turn, so
 * consecutive transactions of one client land on different servers: a statement Parsed on one is Bound on the
 * other. A server Parsing a name twice would answer 42P05 (already exists), so every test that passes shows
 * each statement was prepared at most once per server connection; the counters (SHOW STATS
 * server_parse_count) show it was not prepared more often than needed.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PreparedStatementsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static PostgresCluster pg;
    /** max_prepared_statements at its default (200). */
    private static PoolerFixture pooler;
    /** max_prepared_statements = 2, for eviction. */
    private static PoolerFixture small;
    /** max_prepared_statements = 0: named statements pass unchanged, as before. */
    private static PoolerFixture off;

    @BeforeAll
    static void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("server_round_robin", "1")
                .set("admin_users", PostgresCluster.MD5_USER)
                .database("ps_two", "host=127.0.0.1 port=${port} dbname=testdb pool_size=2 min_pool_size=2")
                .database("ps_one", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1")
                .database("ps_life", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1 server_lifetime=1")
                .database("ps_stmt", "host=127.0.0.1 port=${port} dbname=testdb pool_size=2 min_pool_size=2 "
                        + "pool_mode=statement")
                .database("ps_session", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1 pool_mode=session"));
        small = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_prepared_statements", "2")
                .set("admin_users", PostgresCluster.MD5_USER)
                .database("ps_one", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1"));
        off = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_prepared_statements", "0")
                .database("ps_one", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1"));
    }

    @AfterAll
    static void stop() {
        pooler.close();
        small.close();
        off.close();
    }

    private static RawClient client(PoolerFixture f, String db) throws IOException {
        RawClient c = RawClient.connect(f);
        c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, db);
        return c;
    }

    private static Pool pool(PoolerFixture f, String db) {
        return f.pool(db, PostgresCluster.MD5_USER);
    }

    /**
     * {@code n} servers of {@code db} logged in and idle, so the next transactions alternate between them
     * (min_pool_size opens them while the pool has a client: one is connected meanwhile).
     */
    private static void awaitIdleServers(PoolerFixture f, String db, int n) throws IOException {
        try (RawClient holder = client(f, db)) {
            PoolerFixture.await(n + " idle servers in " + db, WAIT, () -> {
                Pool p = pool(f, db);
                return p != null && f.inLoop(p::idleCount) == n;
            });
        }
    }

    private static long serverParses(PoolerFixture f, String db) {
        Pool p = pool(f, db);
        return p == null ? 0 : f.inLoop(() -> p.stats().serverParseCount);
    }

    private static long clientParses(PoolerFixture f, String db) {
        Pool p = pool(f, db);
        return p == null ? 0 : f.inLoop(() -> p.stats().clientParseCount);
    }

    private static long binds(PoolerFixture f, String db) {
        Pool p = pool(f, db);
        return p == null ? 0 : f.inLoop(() -> p.stats().bindCount);
    }

    /** prepared_statements of each server of the pool (SHOW SERVERS), by backend pid. */
    private static Map<Integer, Integer> cachedPerServer(PoolerFixture f, String db) {
        Pool p = pool(f, db);
        return f.inLoop(() -> {
            Map<Integer, Integer> m = new LinkedHashMap<>();
            for (PoolServer s : p.servers()) {
                m.put(s.backendPid(), s.preparedStatementCount());
            }
            return m;
        });
    }

    private static String errorCode(List<RawClient.Message> messages) {
        return messages.stream().filter(RawClient.Message::isError).findFirst()
                .map(m -> m.fields().get('C')).orElse(null);
    }

    /** Unnamed "SELECT pg_backend_pid()" in the same transaction: which server ran the pipeline. */
    private static byte[] backendPid() {
        return concat(parse("", "SELECT pg_backend_pid()"), bind(""), execute());
    }

    // ---------------------------------------------------------------- by hand

    @Test
    void namedParseBindExecuteOnAlternatingServers() throws IOException {
        awaitIdleServers(pooler, "ps_two", 2);
        long parsesBefore = serverParses(pooler, "ps_two");
        long clientParsesBefore = clientParses(pooler, "ps_two");
        long bindsBefore = binds(pooler, "ps_two");
        try (RawClient c = client(pooler, "ps_two"); RawClient other = client(pooler, "ps_two")) {
            assertEquals("1Z", types(c.send(concat(parse("s1", "SELECT $1::int + 1"), sync())).readUntil('Z')));
            Set<String> pids = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                List<RawClient.Message> got = c.send(concat(backendPid(), bind("s1", Integer.toString(i)), execute(),
                        sync())).readUntil('Z');
                assertEquals("12DC2DCZ", types(got), got.toString());
                List<String> values = firstColumn(got);
                pids.add(values.get(0));
                assertEquals(Integer.toString(i + 1), values.get(1));
            }
            assertEquals(2, pids.size(), "consecutive transactions ran on both servers: " + pids);
            assertEquals(2, serverParses(pooler, "ps_two") - parsesBefore, "one Parse of s1 per server");

            List<RawClient.Message> described = c.send(concat(describe('S', "s1"), sync())).readUntil('Z');
            assertEquals("tTZ", types(described), described.toString());

            // Another client, another name, the same text: both servers have it, nothing is Parsed again.
            assertEquals("1Z", types(other.send(concat(parse("mine", "SELECT $1::int + 1"), sync())).readUntil('Z')));
            for (int i = 0; i < 2; i++) {
                List<RawClient.Message> got = other.send(concat(bind("mine", "41"), execute(), sync())).readUntil('Z');
                assertEquals(List.of("42"), firstColumn(got));
            }
            assertEquals(2, serverParses(pooler, "ps_two") - parsesBefore);

            // A pipeline: Parse, Bind, Execute of a new statement, a Parse the server has (answered by the pooler,
            // in its place in the stream), Close of a statement: every answer in order.
            List<RawClient.Message> got = c.send(concat(
                    parse("s2", "SELECT $1::text || 'x'"), bind("s2", "a"), execute(),
                    parse("s3", "SELECT $1::int + 1"), bind("s3", "41"), execute(),
                    closeStatement('S', "s2"), sync())).readUntil('Z');
            assertEquals("12DC12DC3Z", types(got), got.toString());
            assertEquals(List.of("ax", "42"), firstColumn(got));

            assertEquals(4, clientParses(pooler, "ps_two") - clientParsesBefore, "s1, mine, s2, s3");
            assertEquals(10, binds(pooler, "ps_two") - bindsBefore, "named Binds: 6 of s1, 2 of mine, s2 and s3");

            // Close s1, then Bind it: the name is gone; PgBouncer closes the client.
            assertEquals("3Z", types(c.send(concat(closeStatement('S', "s1"), sync())).readUntil('Z')));
            RawClient.Message error = c.send(concat(bind("s1", "1"), execute(), sync())).readError();
            assertEquals("26000", error.fields().get('C'), error.toString());
            assertEquals("prepared statement did not exist", error.fields().get('M'));
            assertTrue(c.awaitClosed(WAIT));
            // The other client still works: one client's mistake hurts nobody else.
            assertEquals(List.of("42"), firstColumn(other.send(concat(bind("mine", "41"), execute(), sync()))
                    .readUntil('Z')));
        }
    }

    /** The names the server has: the client's own where nothing is rewritten, the shared ones otherwise. */
    private static List<String> serverStatementNames(RawClient c) throws IOException {
        return firstColumn(c.simpleQuery("SELECT name FROM pg_prepared_statements ORDER BY name"));
    }

    @Test
    void namesReachTheServerAsPgBouncerNamesInTransactionModeOnly() throws IOException {
        try (RawClient session = client(pooler, "ps_session"); RawClient disabled = client(off, "ps_one");
             RawClient transaction = client(pooler, "ps_one")) {
            for (RawClient c : List.of(session, disabled, transaction)) {
                List<RawClient.Message> got = c.send(concat(parse("own_name", "SELECT 'n' || $1::int"),
                        bind("own_name", "5"), execute(), sync())).readUntil('Z');
                assertEquals(List.of("n5"), firstColumn(got), got.toString());
            }
            assertEquals(List.of("own_name"), serverStatementNames(session), "session mode: nothing rewritten");
            assertEquals(List.of("own_name"), serverStatementNames(disabled), "max_prepared_statements = 0");
            // (other tests may have left statements on this server: all of them carry shared names)
            List<String> shared = serverStatementNames(transaction);
            assertTrue(!shared.isEmpty() && shared.stream().allMatch(n -> n.matches("PGBOUNCER_[0-9]+")),
                    shared.toString());
        }
    }

    @Test
    void malformedParseIsAProtocolViolationForThatClientOnly() throws IOException {
        try (RawClient bad = client(pooler, "ps_two"); RawClient good = client(pooler, "ps_two")) {
            good.send(concat(parse("g1", "SELECT 7"), sync())).readUntil('Z');
            RawClient.Message error = bad.send(concat(RawClient.message('P', "no terminator".getBytes()), sync()))
                    .readError();
            assertEquals("08P01", error.fields().get('C'), error.toString());
            assertTrue(bad.awaitClosed(WAIT));
            assertEquals(List.of("7"), firstColumn(good.send(concat(bind("g1"), execute(), sync())).readUntil('Z')));
        }
    }

    @Test
    void parseOfANameInUseClosesTheClient() throws IOException {
        try (RawClient c = client(pooler, "ps_two")) {
            c.send(concat(parse("dup", "SELECT 1"), sync())).readUntil('Z');
            RawClient.Message error = c.send(concat(parse("dup", "SELECT 2"), sync())).readError();
            assertEquals("42P05", error.fields().get('C'), error.toString());
            assertEquals("prepared statement name is already in use", error.fields().get('M'));
            assertTrue(c.awaitClosed(WAIT));
            pooler.awaitLog("prepared statement 'dup' was already prepared", WAIT); // PgBouncer's words
        }
    }

    @Test
    void unnamedStatementsPassUnchanged() throws IOException {
        long parsesBefore = serverParses(pooler, "ps_two");
        try (RawClient c = client(pooler, "ps_two")) {
            for (int i = 0; i < 4; i++) {
                List<RawClient.Message> got = c.send(concat(parse("", "SELECT $1::int * 3"), bind("", "5"),
                        describe('P', ""), execute(), closeStatement('P', ""), sync())).readUntil('Z');
                assertEquals("12TDC3Z", types(got), got.toString());
                assertEquals(List.of("15"), firstColumn(got));
            }
        }
        assertEquals(parsesBefore, serverParses(pooler, "ps_two"), "unnamed Parse is not counted or rewritten");
    }

    @Test
    void parseThatFailsOnTheServerLeavesTheNameFree() throws IOException {
        try (RawClient c = client(pooler, "ps_two")) {
            List<RawClient.Message> got = c.send(concat(parse("bad", "SELEC 1"), bind("bad"), execute(), sync()))
                    .readUntil('Z');
            assertEquals("EZ", types(got), got.toString());
            assertEquals("42601", errorCode(got));
            // As with PostgreSQL, the failed Parse created nothing: the name can be Parsed again.
            for (int i = 0; i < 3; i++) {
                got = c.send(concat(i == 0 ? parse("bad", "SELECT 'fixed'") : new byte[0], bind("bad"), execute(),
                        sync())).readUntil('Z');
                assertEquals(i == 0 ? "12DCZ" : "2DCZ", types(got), got.toString());
                assertEquals(List.of("fixed"), firstColumn(got));
            }
        }
    }

    /**
     * PgBouncer's test_prepared_failed_prepare_pipeline: psycopg takes a Parse it pipelined as done even when an
     * earlier error made the server skip it, and later sends only the Bind. The name stays known, so the pooler
     * Parses it on the server first; a new Parse of it is accepted too, as PostgreSQL would.
     */
    @Test
    void aParseTheServerSkippedAfterAnErrorCanBeBoundOrParsedAgain() throws IOException {
        try (RawClient c = client(pooler, "ps_two")) {
            List<RawClient.Message> got = c.send(concat(parse("ok", "SELECT 1"), bind("ok"), execute(),
                    parse("fails", "SELECT * FROM ps_it_never_there"), parse("skipped", "SELECT 'skipped'"), sync()))
                    .readUntil('Z');
            assertEquals("12DCEZ", types(got), got.toString());
            assertEquals("42P01", errorCode(got));
            got = c.send(concat(bind("skipped"), execute(), sync())).readUntil('Z');
            assertEquals("2DCZ", types(got), got.toString());
            assertEquals(List.of("skipped"), firstColumn(got));
            got = c.send(concat(parse("fails", "SELECT 'fixed'"), bind("fails"), execute(), sync())).readUntil('Z');
            assertEquals("12DCZ", types(got), got.toString());
            assertEquals(List.of("fixed"), firstColumn(got));
            RawClient.Message dup = c.send(concat(parse("skipped", "SELECT 2"), sync())).readError();
            assertEquals("42P05", dup.fields().get('C'), "once it ran, the name is taken: " + dup);
        }
    }

    @Test
    void errorInTheInjectedParseIsTheClients() throws IOException {
        pg.query("testdb", "CREATE TABLE IF NOT EXISTS ps_it_gone (i int)");
        pg.query("testdb", "GRANT ALL ON ps_it_gone TO PUBLIC");
        awaitIdleServers(pooler, "ps_two", 2);
        try (RawClient c = client(pooler, "ps_two")) {
            List<RawClient.Message> got = c.send(concat(parse("g", "SELECT count(*) FROM ps_it_gone"), bind("g"),
                    execute(), sync())).readUntil('Z');
            assertEquals("12DCZ", types(got), got.toString());
            pg.query("testdb", "DROP TABLE ps_it_gone");
            long parsesBefore = serverParses(pooler, "ps_two");
            // Next transaction on the other server: the pooler's Parse fails there; the client sees the error
            // where its Bind's answer would be, and its connection goes on.
            got = c.send(concat(bind("g"), execute(), sync())).readUntil('Z');
            assertEquals("EZ", types(got), got.toString());
            assertEquals("42P01", errorCode(got));
            assertEquals(parsesBefore + 1, serverParses(pooler, "ps_two"));
            assertEquals(List.of("1"), firstColumn(c.simpleQuery("SELECT 1")));
            pg.query("testdb", "CREATE TABLE ps_it_gone (i int)");
            pg.query("testdb", "GRANT ALL ON ps_it_gone TO PUBLIC");
            for (int i = 0; i < 4; i++) {
                got = c.send(concat(bind("g"), execute(), sync())).readUntil('Z');
                assertEquals("2DCZ", types(got), got.toString());
                assertEquals(List.of("0"), firstColumn(got));
            }
        } finally {
            pg.query("testdb", "DROP TABLE IF EXISTS ps_it_gone");
        }
    }

    @Test
    void evictionWithCapTwoAndFiveStatementsInRotation() throws Exception {
        try (RawClient c = client(small, "ps_one")) {
            long parsesBefore = serverParses(small, "ps_one");
            for (int k = 1; k <= 5; k++) {
                assertEquals("1Z", types(c.send(concat(parse("q" + k, "SELECT $1::int + " + k), sync()))
                        .readUntil('Z')));
            }
            for (int round = 0; round < 3; round++) {
                for (int k = 1; k <= 5; k++) {
                    List<RawClient.Message> got = c.send(concat(bind("q" + k, "100"), execute(), sync()))
                            .readUntil('Z');
                    assertEquals("2DCZ", types(got), got.toString());
                    assertEquals(List.of(Integer.toString(100 + k)), firstColumn(got));
                }
            }
            // 5 Parses, then each Bind finds its statement evicted (LRU of 2): 15 more.
            assertEquals(20, serverParses(small, "ps_one") - parsesBefore);
            List<String> onServer = firstColumn(c.simpleQuery(
                    "SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'PGBOUNCER_%'"));
            assertEquals(List.of("2"), onServer, "evicted statements were Closed on the server");
            assertEquals(List.of(2), new ArrayList<>(cachedPerServer(small, "ps_one").values()));
            // The console shows the same: SHOW SERVERS prepared_statements, SHOW CLIENTS for the client's 5 names.
            try (Connection admin = small.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=simple"); Statement st = admin.createStatement()) {
                try (ResultSet rs = st.executeQuery("SHOW SERVERS")) {
                    assertTrue(rs.next());
                    assertEquals(2, rs.getInt("prepared_statements"));
                }
                boolean found = false;
                try (ResultSet rs = st.executeQuery("SHOW CLIENTS")) {
                    while (rs.next()) {
                        found |= rs.getString("database").equals("ps_one") && rs.getInt("prepared_statements") == 5;
                    }
                }
                assertTrue(found, "SHOW CLIENTS prepared_statements = 5");
                try (ResultSet rs = st.executeQuery("SHOW STATS_TOTALS")) {
                    boolean row = false;
                    while (rs.next()) {
                        if (rs.getString("database").equals("ps_one")) {
                            row = true;
                            assertTrue(rs.getLong("client_parse_count") >= 5);
                            assertTrue(rs.getLong("server_parse_count") >= 20);
                            assertTrue(rs.getLong("bind_count") >= 15);
                        }
                    }
                    assertTrue(row);
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"DISCARD ALL", "DEALLOCATE ALL"})
    void discardAllAndDeallocateAllForgetTheStatements(String sql) throws IOException {
        assertStatementsForgottenAfter(sql);
    }

    /** A text too long to scan (over 64 KB) is not looked at, so its CommandComplete must be read anyway. */
    @Test
    void deallocateAllInATextTooLongToScanForgetsTheStatements() throws IOException {
        assertStatementsForgottenAfter("SELECT '" + "x".repeat(70_000) + "'; DEALLOCATE ALL");
    }

    private void assertStatementsForgottenAfter(String sql) throws IOException {
        try (RawClient c = client(pooler, "ps_one"); RawClient other = client(pooler, "ps_one")) {
            c.send(concat(parse("mine", "SELECT $1::int - 1"), sync())).readUntil('Z');
            other.send(concat(parse("theirs", "SELECT $1::int - 1"), sync())).readUntil('Z');
            // One server, holding the shared statement (and any an earlier test left there).
            List<Integer> before = new ArrayList<>(cachedPerServer(pooler, "ps_one").values());
            assertEquals(1, before.size(), before.toString());
            assertTrue(before.get(0) >= 1, before.toString());
            List<RawClient.Message> got = c.simpleQuery(sql);
            assertEquals(null, errorCode(got), got.toString());
            // The server dropped every statement, so the pooler's cache is empty ...
            assertEquals(List.of(0), new ArrayList<>(cachedPerServer(pooler, "ps_one").values()));
            // ... and another client's statement is Parsed again before its Bind.
            long parsesBefore = serverParses(pooler, "ps_one");
            got = other.send(concat(bind("theirs", "10"), execute(), sync())).readUntil('Z');
            assertEquals(List.of("9"), firstColumn(got), got.toString());
            assertEquals(parsesBefore + 1, serverParses(pooler, "ps_one"));
            // The client that ran it lost its names, as on PostgreSQL.
            RawClient.Message error = c.send(concat(bind("mine", "1"), execute(), sync())).readError();
            assertEquals("26000", error.fields().get('C'));
        }
    }

    @Test
    void serverReplacedBetweenParseAndBind() throws IOException {
        try (RawClient c = client(pooler, "ps_life")) {
            List<RawClient.Message> got = c.send(concat(parse("life", "SELECT $1::int * 10"), backendPid(), sync()))
                    .readUntil('Z');
            assertEquals("112DCZ", types(got), got.toString());
            int firstPid = Integer.parseInt(firstColumn(got).get(0));
            // server_lifetime = 1: the janitor closes the idle server; the next transaction gets a new one.
            PoolerFixture.await("the first server retired", WAIT, () -> !cachedPerServer(pooler, "ps_life")
                    .containsKey(firstPid));
            got = c.send(concat(backendPid(), bind("life", "7"), execute(), sync())).readUntil('Z');
            assertEquals("12DC2DCZ", types(got), got.toString());
            List<String> values = firstColumn(got);
            assertTrue(firstPid != Integer.parseInt(values.get(0)), "a new server: " + values);
            assertEquals("70", values.get(1));
        }
    }

    // ---------------------------------------------------------------- pgjdbc

    @ParameterizedTest
    @ValueSource(strings = {"5", "1"})
    void pgjdbcPreparedStatementsAcrossServers(String prepareThreshold) throws SQLException, IOException {
        awaitIdleServers(pooler, "ps_two", 2);
        String query = "SELECT ?::int * 2, ?::text || '-" + prepareThreshold + "'";
        long parsesBefore = serverParses(pooler, "ps_two");
        List<Connection> conns = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                conns.add(pooler.connect("ps_two", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                        "prepareThreshold=" + prepareThreshold));
            }
            List<PreparedStatement> statements = new ArrayList<>();
            for (Connection c : conns) {
                statements.add(c.prepareStatement(query));
            }
            Set<String> pids = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                for (int k = 0; k < conns.size(); k++) {
                    PreparedStatement ps = statements.get(k);
                    ps.setInt(1, i);
                    ps.setString(2, "c" + k);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next());
                        assertEquals(i * 2, rs.getInt(1));
                        assertEquals("c" + k + "-" + prepareThreshold, rs.getString(2));
                    }
                }
            }
            // A transaction of several statements, one of them prepared, then a rollback.
            Connection c = conns.get(0);
            c.setAutoCommit(false);
            try (PreparedStatement pid = c.prepareStatement("SELECT pg_backend_pid()")) {
                for (int i = 0; i < 6; i++) {
                    try (ResultSet rs = pid.executeQuery()) {
                        rs.next();
                        pids.add(rs.getString(1));
                    }
                    PreparedStatement ps = statements.get(0);
                    ps.setInt(1, 1);
                    ps.setString(2, "tx");
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next());
                        assertEquals(2, rs.getInt(1));
                    }
                    c.commit();
                }
            }
            c.setAutoCommit(true);
            assertEquals(2, pids.size(), "transactions ran on both servers: " + pids);
        } finally {
            for (Connection c : conns) {
                c.close();
            }
        }
        // 2 servers x at most the two statements (and pgjdbc's own, e.g. BEGIN, when named).
        long parses = serverParses(pooler, "ps_two") - parsesBefore;
        assertTrue(parses >= 2 && parses <= 2 * 4, "server parses: " + parses);
    }

    @Test
    void statementPoolingModeWithPgjdbc() throws SQLException, IOException {
        awaitIdleServers(pooler, "ps_stmt", 2);
        try (Connection c = pooler.connect("ps_stmt", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "prepareThreshold=1"); PreparedStatement ps = c.prepareStatement("SELECT ?::int + 100")) {
            for (int i = 0; i < 10; i++) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(100 + i, rs.getInt(1));
                }
            }
        }
        long parses = serverParses(pooler, "ps_stmt");
        assertTrue(parses >= 1 && parses <= 2, "one Parse per server at most: " + parses);
    }

    // ---------------------------------------------------------------- pgbench

    @ParameterizedTest
    @ValueSource(strings = {"-S", "-N"})
    void pgbenchPreparedWithManyClients(String script) throws IOException {
        awaitIdleServers(pooler, "ps_two", 2);
        long parsesBefore = serverParses(pooler, "ps_two");
        long clientParsesBefore = clientParses(pooler, "ps_two");
        // pgbench prepares a client's statements with the blocking PQprepare: with fewer servers than clients,
        // one thread's client waiting for a server would stall that thread's other clients, which hold the
        // servers in open transactions. Multi-statement transactions therefore get a thread per client.
        String threads = script.equals("-S") ? "2" : "12";
        var r = pooler.run("pgbench", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, Duration.ofSeconds(60),
                "-n", script, "-M", "prepared", "-c", "12", "-j", threads, "-T", "3", "ps_two");
        r.assertSuccess("pgbench -M prepared " + script);
        assertTrue(r.stdout().contains("number of failed transactions: 0") || !r.stdout().contains("failed"),
                r.stdout());
        assertTrue(!r.stderr().contains("ERROR"), r.stderr());
        long clientParses = clientParses(pooler, "ps_two") - clientParsesBefore;
        long serverParses = serverParses(pooler, "ps_two") - parsesBefore;
        // -S has 1 statement, -N (simple update) 5; every client Parses them once; each of the two servers at most once.
        int statements = script.equals("-S") ? 1 : 5;
        assertEquals(12L * statements, clientParses, r.stdout());
        assertTrue(serverParses <= 2L * statements, "server parses " + serverParses + " for " + statements
                + " statements on 2 servers");
        System.out.printf("[PreparedStatementsIT] pgbench -M prepared %s: %s client parses, %s server parses%n",
                script, clientParses, serverParses);
    }
}

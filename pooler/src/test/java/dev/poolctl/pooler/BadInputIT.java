package dev.poolctl.pooler;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static dev.poolctl.pooler.support.Queries.single;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.RawClient;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What the pooler does with wrong passwords, unknown names, garbage on the wire, absurd lengths, clients and
 * servers dying at the worst moment: the error PgBouncer would send (text and SQLSTATE, see
 * /tmp/pgbouncer-behaviour.md), only the offending connection closed, and the daemon still serving others.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = SECONDS)
class BadInputIT {
    private static final Duration AWAIT = Duration.ofSeconds(10);
    private static final String BAD_LOGIN_DB = "baddb";

    private static PostgresCluster pg;
    /** Transaction mode, one server per pool, plus a database whose forced password is wrong. */
    private static PoolerFixture pooler;

    @BeforeAll
    static void startPooler() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "1")
                .database(BAD_LOGIN_DB, "host=127.0.0.1 port=${port} dbname=testdb user=md5_user password=wrong"));
    }

    @AfterAll
    static void stopPooler() {
        if (pooler != null) {
            pooler.close();
        }
    }

    // ---- helpers ----

    /** A normal pgjdbc client logs in through {@code f} and runs a query: the daemon still serves others. */
    private static void assertNormalClientWorks(PoolerFixture f) throws SQLException {
        try (Connection c = f.connect()) {
            assertEquals("1", single(c, "select 1"));
        }
    }

    /** A FATAL ErrorResponse in PgBouncer's format: exactly S, C, M with SQLSTATE 08P01. */

    private static RawClient raw() throws IOException {
        return RawClient.connect(pooler.host(), pooler.port(), Duration.ofSeconds(10));
    }

    private static SQLException loginFails(PoolerFixture f, String db, String user, String password) {
        return assertThrows(SQLException.class, () -> f.connect(db, user, password).close(),
                "login of " + user + " to " + db + " should fail");
    }

    private static int backendsOf(String user) {
        return Integer.parseInt(pg.queryValue(
                "select count(*) from pg_stat_activity where usename = '" + user + "' and backend_type = 'client backend'"));
    }

    // ---- authentication ----

    @Test
    void md5WrongPasswordIsRejected() throws Exception {
        SQLException e = loginFails(pooler, "testdb", PostgresCluster.MD5_USER, "wrong");
        assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
        assertEquals("08P01", e.getSQLState(), e.getMessage());
        pooler.awaitLog("md5_user@127\\.0\\.0\\.1:\\d+ closing because: password authentication failed", AWAIT);
        assertNormalClientWorks(pooler);
    }

    @Test
    void scramWrongPasswordIsRejected() throws Exception {
        SQLException e = loginFails(pooler, "testdb", PostgresCluster.SCRAM_USER, "wrong");
        assertTrue(e.getMessage().contains("SASL authentication failed"), e.getMessage());
        assertEquals("08P01", e.getSQLState(), e.getMessage());
        assertNormalClientWorks(pooler);
    }

    @Test
    void userMissingFromAuthFileIsRejected() throws Exception {
        SQLException e = loginFails(pooler, "testdb", "nouser", "whatever");
        assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
        assertEquals("08P01", e.getSQLState(), e.getMessage());
        pooler.awaitLog("no such user: nouser", AWAIT);
        assertNormalClientWorks(pooler);
    }

    @Test
    void unknownDatabaseIsRejectedAfterAuthentication() throws Exception {
        SQLException e = loginFails(pooler, "nosuch", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
        assertTrue(e.getMessage().contains("no such database: nosuch"), e.getMessage());
        assertEquals("08P01", e.getSQLState(), e.getMessage());

        // On the wire: md5 challenge first (names are not probeable), then exactly PgBouncer's error, then close.
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, "nosuch"));
            RawClient.Message challenge = c.read();
            assertNotNull(challenge);
            assertEquals('R', challenge.type(), "auth request before the database is checked: " + challenge);
            assertEquals(5, challenge.authCode());
            byte[] salt = java.util.Arrays.copyOfRange(challenge.body(), 4, 8);
            c.send(RawClient.message('p', (RawClient.md5Response(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, salt) + "\0")
                    .getBytes(StandardCharsets.US_ASCII)));
            RawClient.assertPoolerFatal(c.read(), "no such database: nosuch");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "connection closed after the error");
        }
        assertNormalClientWorks(pooler);
    }

    // ---- garbage before / instead of the startup packet ----

    @Test
    void randomBytesInsteadOfStartupPacketAreRefused() throws Exception {
        byte[] junk = new byte[16];
        new Random(20240611L).nextBytes(junk);
        junk[0] |= 0x40; // a length word PostgreSQL would never accept, so no implementation may wait for more
        for (byte[] input : List.of(junk, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))) {
            try (RawClient c = raw()) {
                c.send(input);
                RawClient.Message m = c.read();
                if (m != null) {
                    assertEquals('E', m.type(), "answer to garbage: " + m);
                    assertEquals("08P01", m.fields().get('C'), "answer to garbage: " + m);
                    assertEquals("FATAL", m.fields().get('S'), "answer to garbage: " + m);
                }
                assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "pooler closes a connection that sent garbage");
            }
        }
        try (RawClient c = raw()) {
            c.send(new byte[8]);
            RawClient.assertPoolerFatal(c.read(), "bad packet header: '0000000000000000'");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
        assertNormalClientWorks(pooler);
    }

    @Test
    void startupPacketDeclaring100MegabytesIsRefusedAtOnce() throws Exception {
        try (RawClient c = RawClient.connect(pooler.host(), pooler.port(), Duration.ofSeconds(5))) {
            long t0 = System.nanoTime();
            // Only the 8-byte header: the pooler must answer without waiting for the 100 MB it announces.
            c.send(ByteBuffer.allocate(8).putInt(100_000_000).putInt(196608).array());
            RawClient.assertPoolerFatal(c.read(), "bad packet header: '05f5e10000030000'");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "connection closed after the error");
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos(), "answered promptly");
        }
        assertNormalClientWorks(pooler);
    }

    @Test
    void sslRequestIsAnsweredNAndLoginContinuesOnTheSameSocket() throws Exception {
        try (RawClient c = raw()) {
            c.send(RawClient.sslRequest());
            assertEquals('N', c.readByte(), "TLS is not offered");
            List<RawClient.Message> login = c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
            assertEquals('I', login.get(login.size() - 1).txStatus());
            assertEquals(List.of("42"), RawClient.firstColumn(c.simpleQuery("select 42")));
        }
        assertNormalClientWorks(pooler);
    }

    @Test
    void sslRequestWithDataBehindItIsRefused() throws Exception {
        try (RawClient c = raw()) {
            c.send(RawClient.concat(RawClient.sslRequest(),
                    RawClient.startupPacket(PostgresCluster.MD5_USER, "testdb")));
            RawClient.Message m = c.read();
            assertNotNull(m, "expected an ErrorResponse, the connection was closed");
            assertEquals('E', m.type(), "no 'N' and no login for data sent behind an SSLRequest: " + m);
            assertEquals("08P01", m.fields().get('C'));
            assertEquals("FATAL", m.fields().get('S'));
            assertTrue(m.fields().get('M').contains("unencrypted data after SSL request"), m.toString());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
        assertNormalClientWorks(pooler);
    }

    @Test
    void unsupportedStartupParameterIsRefused() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", PostgresCluster.MD5_USER);
        params.put("database", "testdb");
        params.put("foo", "bar");
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(params));
            RawClient.assertPoolerFatal(c.read(), "unsupported startup parameter: foo");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
        }
        // The ignored one (ignore_startup_parameters = extra_float_digits) is fine.
        params.remove("foo");
        params.put("extra_float_digits", "3");
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(params));
            c.finishLogin(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
            assertEquals(List.of("1"), RawClient.firstColumn(c.simpleQuery("select 1")));
        }
        assertNormalClientWorks(pooler);
    }

    // ---- absurd lengths after login ----

    @Test
    void typedMessageDeclaring2GigabytesClosesOnlyThatClient() throws Exception {
        try (Connection bystander = pooler.connect(); RawClient c = raw()) {
            assertEquals("1", single(bystander, "select 1"));
            c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
            // 'Q' with a length word of 2 GiB (0x80000000) and a few bytes of body.
            c.send(RawClient.concat(new byte[] {'Q'}, ByteBuffer.allocate(4).putInt(0x80000000).array(),
                    "select 1".getBytes(StandardCharsets.US_ASCII)));
            RawClient.Message m = c.read();
            assertNotNull(m, "expected an ErrorResponse, the connection was closed");
            assertEquals('E', m.type(), m.toString());
            assertEquals("08P01", m.fields().get('C'), m.toString());
            assertEquals("FATAL", m.fields().get('S'), m.toString());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "the offending client is closed");
            assertEquals("2", single(bystander, "select 2"), "the other client's session is untouched");
        }
        assertNormalClientWorks(pooler);
    }

    @Test
    void typedMessageAboveMaxPacketSizeIsRefusedWithoutReadingIt() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("max_packet_size", "65536"));
             RawClient c = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(5))) {
            c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
            c.send(RawClient.concat(new byte[] {'Q'}, ByteBuffer.allocate(4).putInt(100_000_000).array(),
                    "select 1".getBytes(StandardCharsets.US_ASCII)));
            RawClient.Message m = c.read();
            assertNotNull(m, "expected an ErrorResponse, the connection was closed");
            assertEquals('E', m.type(), m.toString());
            assertEquals("08P01", m.fields().get('C'), m.toString());
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)));
            assertNormalClientWorks(f);
        }
    }

    // ---- max_client_conn ----

    @Test
    void fourthClientIsRefusedWithMaxClientConn3() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("max_client_conn", "3"))) {
            List<Connection> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(f.connect());
                }
                SQLException e = loginFails(f, "testdb", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                assertTrue(e.getMessage().contains("no more connections allowed (max_client_conn)"), e.getMessage());
                assertEquals("08P01", e.getSQLState(), e.getMessage());
                for (Connection c : open) {
                    assertEquals("1", single(c, "select 1"), "the admitted clients still work");
                }
                open.remove(0).close();
                // The close is asynchronous at the pooler: a client may be refused until it has been processed.
                PoolerFixture.await("a slot is free again", AWAIT, () -> {
                    try (Connection c = f.connect()) {
                        return "1".equals(single(c, "select 1"));
                    } catch (SQLException refused) {
                        return false;
                    }
                });
            } finally {
                for (Connection c : open) {
                    c.close();
                }
            }
        }
    }

    @Test
    void refusedClientsDoNotFreeSlots() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("max_client_conn", "3"))) {
            List<Connection> open = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    open.add(f.connect());
                }
                for (int attempt = 0; attempt < 3; attempt++) {
                    SQLException e = loginFails(f, "testdb", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                    assertTrue(e.getMessage().contains("no more connections allowed (max_client_conn)"),
                            "attempt " + attempt + " with 3 clients still connected: " + e.getMessage());
                }
            } finally {
                for (Connection c : open) {
                    c.close();
                }
            }
        }
    }

    // ---- clients and servers dying ----

    @Test
    void clientKilledInsideTransactionDoesNotLeaveADirtyServer() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            int dirtyPid;
            Connection a = pooler.connect();
            try {
                a.setAutoCommit(false);
                dirtyPid = Integer.parseInt(single(a, "select pg_backend_pid()"));
                assertEquals("", single(a, "select pg_advisory_xact_lock(1)::text"));
                try (Statement st = a.createStatement()) {
                    st.executeUpdate("create temp table if not exists dirty_marker(x int)");
                }
                assertEquals("idle in transaction",
                        pg.queryValue("select state from pg_stat_activity where pid = " + dirtyPid));
                a.abort(executor);
            } finally {
                a.close();
            }

            pooler.awaitLog("S-\\d+: .*closing because: client disconnect while server was not ready", AWAIT);
            PoolerFixture.await("the dirty backend " + dirtyPid + " to exit", AWAIT, () -> "0".equals(
                    pg.queryValue("select count(*) from pg_stat_activity where pid = " + dirtyPid)));

            // Simple query protocol: with Parse/Bind/Execute, now() (at Parse) and statement_timestamp() (at
            // Execute) differ even in a fresh transaction.
            try (Connection b = pooler.connect("testdb", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=simple");
                 Statement st = b.createStatement();
                 ResultSet rs = st.executeQuery("select pg_backend_pid(), now() = statement_timestamp(),"
                         + " txid_current_if_assigned() is null, pg_try_advisory_xact_lock(1),"
                         + " to_regclass('pg_temp.dirty_marker') is null")) {
                assertTrue(rs.next());
                assertNotEquals(dirtyPid, rs.getInt(1), "the dirty server was not reused");
                assertTrue(rs.getBoolean(2), "not inside the old transaction");
                assertTrue(rs.getBoolean(3), "no transaction id assigned");
                assertTrue(rs.getBoolean(4), "the advisory xact lock was released");
                assertTrue(rs.getBoolean(5), "the old session's temp table is gone");
            }
            PoolerFixture.await("md5_user backends <= pool size 1", AWAIT, () -> backendsOf(PostgresCluster.MD5_USER) <= 1);
            Pool pool = pooler.pool("testdb", PostgresCluster.MD5_USER);
            assertTrue(pooler.inLoop(pool::serverCount) <= 1, "the pool holds at most default_pool_size servers");
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void clientKilledMidQueryDoesNotHandItsServerToTheNextClient() throws Exception {
        // Own pooler: its log must show this server's fate only.
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("default_pool_size", "1"))) {
            int busyPid;
            try (RawClient a = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
                a.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
                busyPid = Integer.parseInt(RawClient.firstColumn(a.simpleQuery("select pg_backend_pid()")).get(0));
                // Autocommit, so the server is outside a transaction while the query runs.
                a.send(RawClient.query("select 'from A', pg_sleep(3)"));
                PoolerFixture.await("A's query to run", AWAIT, () -> "active".equals(
                        pg.queryValue("select state from pg_stat_activity where pid = " + busyPid)));
            } // A's socket closes mid-query
            f.awaitLog("C-\\d+: testdb/md5_user@127\\.0\\.0\\.1:\\d+ closing because: client unexpected eof", AWAIT);

            try (RawClient b = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
                b.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "testdb");
                long t0 = System.nanoTime();
                List<RawClient.Message> reply = b.simpleQuery("select 'from B', pg_backend_pid()");
                long millis = (System.nanoTime() - t0) / 1_000_000;
                assertFalse(reply.stream().anyMatch(RawClient.Message::isError), "B's query failed: " + reply);
                assertEquals(List.of("from B"), RawClient.firstColumn(reply), "B's reply: " + reply);
                // PgBouncer closes the busy server ("client disconnect while server was not ready"): B gets a
                // new one at once instead of waiting for A's pg_sleep(3) on the old one.
                assertTrue(millis < 2_000, "B waited " + millis + " ms for a server still running A's query");
            }
            f.awaitLog("S-\\d+: .*closing because: client disconnect while server was not ready", AWAIT);
        }
    }

    @Test
    void serverKilledUnderAClientInSessionMode() throws Exception {
        String user = PostgresCluster.CLEARTEXT_USER;
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("pool_mode", "session"))) {
            try (Connection c = f.connect("testdb", user, PostgresCluster.CLEARTEXT_PASSWORD)) {
                c.setAutoCommit(false);
                assertEquals("1", single(c, "select 1"));
                assertTrue(pg.terminateBackends(user) >= 1, "a backend of " + user + " was terminated");
                SQLException e = assertThrows(SQLException.class, () -> single(c, "select 2"));
                String all = describe(e);
                assertTrue(all.contains("server conn crashed?")
                        || all.contains("terminating connection due to administrator command"), all);
            }
            f.awaitLog("S-\\d+: .*closing because: server conn crashed\\?", AWAIT);
            try (Connection again = f.connect("testdb", user, PostgresCluster.CLEARTEXT_PASSWORD)) {
                assertEquals("3", single(again, "select 3"), "a new client gets a new server");
            }
        }
    }

    private static String describe(Throwable e) {
        StringBuilder s = new StringBuilder();
        for (Throwable t = e; t != null; t = t.getCause()) {
            s.append(t.getClass().getSimpleName()).append(": ").append(t.getMessage()).append(" / ");
        }
        return s.toString();
    }

    // ---- statement mode ----

    @Test
    void statementModeRefusesTransactionBlocks() throws Exception {
        String expected = "transaction blocks not allowed in statement pooling mode";
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("pool_mode", "statement"))) {
            Processes.Result psql = f.run("psql", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    Duration.ofSeconds(30), "-X", "-d", "testdb", "-c", "BEGIN; SELECT 1;");
            psql.assertFailure("psql BEGIN; SELECT 1; in statement mode");
            assertTrue(psql.stderr().contains(expected), psql.output());

            try (Connection c = f.connect()) {
                c.setAutoCommit(false);
                SQLException e = assertThrows(SQLException.class, () -> single(c, "select 1"));
                assertTrue(e.getMessage().contains(expected), e.getMessage());
                assertEquals("08P01", e.getSQLState(), e.getMessage());
            }
            f.awaitLog("S-\\d+: .*closing because: " + expected, AWAIT);

            try (Connection c = f.connect()) {
                for (int i = 1; i <= 3; i++) {
                    assertEquals(String.valueOf(i), single(c, "select " + i), "autocommit statement " + i);
                }
            }
            PoolerFixture.await("no md5_user backend left in a transaction", AWAIT, () -> "0".equals(pg.queryValue(
                    "select count(*) from pg_stat_activity where usename = 'md5_user' and state like 'idle in transaction%'")));
        }
    }

    // ---- server login failures ----

    @Test
    void serverLoginFailureIsReportedAndCached() throws Exception {
        String pgError = "password authentication failed for user \"md5_user\"";
        SQLException first = loginFails(pooler, BAD_LOGIN_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
        assertTrue(first.getMessage().contains(pgError), first.getMessage());

        SQLException second = loginFails(pooler, BAD_LOGIN_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
        assertTrue(second.getMessage().contains("server login has been failing, cached error: " + pgError)
                || second.getMessage().contains(pgError), second.getMessage());
        assertFalse(pooler.log().isEmpty());
        pooler.awaitLog("server login failed: .*" + java.util.regex.Pattern.quote(pgError), AWAIT);
        assertNormalClientWorks(pooler);
    }
}

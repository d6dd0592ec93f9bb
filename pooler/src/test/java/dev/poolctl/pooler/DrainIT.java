package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.net.ConnectException;
import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Graceful drain (issue 13, item 4): DRAIN closes each client at its next transaction boundary with SQLSTATE 57P01
 * and drain_message, lets open transactions commit, refuses new clients, keeps the console, and the daemon exits
 * when the last client has gone or at the deadline. Also PgBouncer's SHUTDOWN WAIT_FOR_CLIENTS, which does not
 * close anyone: TCP closed, the unix socket kept for the console, logins to pools refused, RESUME refused.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DrainIT {
    private static final String MESSAGE = "pooler draining, reconnect please";
    private static PostgresCluster pg;

    private static PoolerFixture start(String poolMode) {
        return PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", poolMode)
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("drain_message", MESSAGE));
    }

    private static Connection console(PoolerFixture f) throws SQLException {
        return f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple");
    }

    private static void createTable(String name) {
        pg.psqlAsSuperuser(PostgresCluster.TEST_DB, "DROP TABLE IF EXISTS " + name + "; CREATE TABLE " + name
                + " (id int); GRANT ALL ON " + name + " TO PUBLIC;").assertSuccess("create " + name);
    }

    private static void assertDrained(SQLException e) {
        assertEquals("57P01", e.getSQLState(), e.getMessage());
        assertTrue(e.getMessage().contains(MESSAGE), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"transaction", "session"})
    void clientsAreClosedAtTheirTransactionBoundaryAndTheDaemonExitsWhenTheLastHasGone(String poolMode)
            throws Exception {
        String table = "drain_" + poolMode;
        createTable(table);
        try (PoolerFixture f = start(poolMode);
             Connection idle = f.connect();
             Connection inTx = f.connect();
             Connection console = console(f)) {
            try (Statement st = idle.createStatement()) {
                st.execute("SELECT 1");
            }
            inTx.setAutoCommit(false);
            try (Statement st = inTx.createStatement()) {
                st.execute("INSERT INTO " + table + " VALUES (1)");
            }
            try (Statement st = console.createStatement()) {
                java.util.Map<String, String> before = state(st);
                assertEquals("no", before.get("draining"), before.toString());
                assertTrue(before.get("started_at").endsWith(" UTC"), "poolctl's own row: " + before);
                st.execute("DRAIN");
                java.util.Map<String, String> during = state(st);
                assertEquals("yes", during.get("draining"), "SHOW STATE says so: " + during);
                assertTrue(during.get("drain_deadline").endsWith(" UTC"), "drain_timeout's (60 s): " + during);
            }
            // The client between transactions is closed at once; its next query finds the 57P01 FATAL.
            PoolerFixture.await("the idle client closed", Duration.ofSeconds(10),
                    () -> f.log().contains("closing because: " + MESSAGE));
            assertDrained(assertThrows(SQLException.class, () -> idle.createStatement().execute("SELECT 1")));
            // Nobody new gets in over TCP: the listener was closed before DRAIN answered (a load balancer sees it).
            assertThrows(ConnectException.class, () -> new Socket(f.host(), f.port()).close());
            // The transaction in flight goes on and commits ...
            try (Statement st = inTx.createStatement()) {
                st.execute("INSERT INTO " + table + " VALUES (2)");
            }
            inTx.commit();
            // ... and its client is closed at that boundary.
            assertDrained(assertThrows(SQLException.class, () -> inTx.createStatement().execute("SELECT 1")));
            assertEquals("2", pg.queryValue("SELECT count(*) FROM " + table), "the drained transaction committed");
            assertTrue(f.daemon().awaitTermination(10, TimeUnit.SECONDS), "the daemon exits when no client is left");
            assertTrue(f.log().contains("drain finished: no client left"), f.log());
        }
    }

    /** An HTTP answer as "status body" (one line), or the failure. */
    private static String answer(java.net.http.HttpClient http, java.net.http.HttpRequest request) {
        try {
            java.net.http.HttpResponse<String> r = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body().replace('\n', ' ');
        } catch (java.io.IOException e) {
            return "failed: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "interrupted";
        }
    }

    /** SHOW STATE as key -> value (NULL as null). */
    private static java.util.Map<String, String> state(Statement st) throws SQLException {
        java.util.Map<String, String> out = new java.util.HashMap<>();
        try (java.sql.ResultSet rs = st.executeQuery("SHOW STATE")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getString(2));
            }
        }
        return out;
    }

    /** What the pooler answers {@code packet} on the unix socket, up to its close (bounded). */
    private static String unixSocketAnswer(java.nio.file.Path socket, byte[] packet) throws Exception {
        try (java.nio.channels.SocketChannel ch =
                     java.nio.channels.SocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            ch.connect(java.net.UnixDomainSocketAddress.of(socket));
            ch.write(java.nio.ByteBuffer.wrap(packet));
            java.nio.ByteBuffer answer = java.nio.ByteBuffer.allocate(4096);
            java.util.concurrent.CompletableFuture<Void> read = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    while (answer.hasRemaining() && ch.read(answer) >= 0) {
                        // until the pooler closes
                    }
                } catch (java.io.IOException closed) {
                    // a reset is a close too
                }
            });
            read.get(10, TimeUnit.SECONDS);
            return new String(answer.array(), 0, answer.position(), java.nio.charset.StandardCharsets.ISO_8859_1);
        }
    }

    @Test
    void atTheDeadlineTheClientsStillInATransactionAreClosedAndItRollsBack() throws Exception {
        createTable("drain_deadline");
        try (PoolerFixture f = start("transaction");
             Connection stuck = f.connect();
             Connection console = console(f)) {
            stuck.setAutoCommit(false);
            try (Statement st = stuck.createStatement()) {
                st.execute("INSERT INTO drain_deadline VALUES (1)");
            }
            long asked = System.nanoTime();
            try (Statement st = console.createStatement()) {
                st.execute("DRAIN 1");
                String deadline = state(st).get("drain_deadline");
                assertTrue(deadline != null && deadline.endsWith(" UTC"), "the deadline in SHOW STATE: " + deadline);
            }
            assertTrue(f.daemon().awaitTermination(10, TimeUnit.SECONDS), "the daemon exits at the deadline");
            long tookMillis = (System.nanoTime() - asked) / 1_000_000;
            assertTrue(tookMillis >= 1_000, "not before the deadline: " + tookMillis + " ms");
            assertTrue(f.log().contains("drain deadline reached: closing 1 client"), f.log());
            assertDrained(assertThrows(SQLException.class, () -> stuck.createStatement().execute("SELECT 1")));
            PoolerFixture.await("the open transaction rolled back", Duration.ofSeconds(10),
                    () -> "0".equals(pg.queryValue("SELECT count(*) FROM drain_deadline")));
        }
    }

    /**
     * drain_accept_grace: TCP keeps accepting for the grace while /readyz answers 503, so a load balancer that reads
     * it stops sending before the listener closes (a close resets the connections queued on it). A client that
     * comes meanwhile logs in, runs its transaction and is sent away at its end; DRAIN answers once TCP is closed.
     */
    @Test
    void anAcceptGraceKeepsTcpOpenWhileReadyzSaysDrainingAndDrainsWhoComesMeanwhile() throws Exception {
        int httpPort = dev.poolctl.pooler.support.FreePort.find();
        java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(5)).build();
        java.net.http.HttpRequest readyz = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + httpPort + "/readyz")).timeout(Duration.ofSeconds(5)).build();
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", "transaction")
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("drain_message", MESSAGE)
                .set("drain_accept_grace", "4")
                .set("http_listen_port", Integer.toString(httpPort)));
             Connection console = console(f)) {
            assertTrue(answer(http, readyz).startsWith("200 "), answer(http, readyz));
            long asked = System.nanoTime();
            java.util.concurrent.CompletableFuture<Void> answered = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try (Statement st = console.createStatement()) {
                    st.execute("DRAIN");
                } catch (SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            PoolerFixture.await("/readyz says draining", Duration.ofSeconds(5),
                    () -> answer(http, readyz).matches("503 .*draining.*"));
            // pgjdbc's own SET at login is a transaction: not the one the client came for, so it is not sent away
            // at that boundary (one younger than a second is left its first transactions)
            try (Connection late = f.connect(); Statement st = late.createStatement()) {
                try (ResultSet rs = st.executeQuery("SELECT 41 + 1")) {
                    assertTrue(rs.next() && rs.getInt(1) == 42, "a client that comes during the grace is served");
                }
                assertFalse(answered.isDone(), "DRAIN answers once TCP no longer accepts, after the grace");
                PoolerFixture.await("the late client closed once idle for a second", Duration.ofSeconds(10),
                        () -> f.log().contains("closing because: " + MESSAGE));
                assertDrained(assertThrows(SQLException.class, () -> st.execute("SELECT 1")));
            }
            answered.get(10, TimeUnit.SECONDS);
            long tookMillis = (System.nanoTime() - asked) / 1_000_000;
            assertTrue(tookMillis >= 4_000, "TCP closed after the grace, not before: " + tookMillis + " ms");
            assertThrows(ConnectException.class, () -> new Socket(f.host(), f.port()).close());
            assertTrue(f.log().contains("drain: no longer listening on TCP"), f.log());
            console.close();
            assertTrue(f.daemon().awaitTermination(10, TimeUnit.SECONDS), "exits when no client is left");
            assertTrue(f.log().contains("drain finished: no client left"), f.log());
        }
    }

    @Test
    void waitForServersLetsTransactionsFinishClosesNewOnesAndExitsWhenNoServerIsActive() throws Exception {
        try (PoolerFixture f = start("transaction");
             Connection inTx = f.connect();
             Connection other = f.connect();
             Connection console = console(f)) {
            inTx.setAutoCommit(false);
            try (Statement st = inTx.createStatement()) {
                st.execute("SELECT 1");
            }
            try (Statement st = console.createStatement()) {
                st.execute("SHUTDOWN WAIT_FOR_SERVERS");
            }
            try (Statement st = inTx.createStatement()) {
                st.execute("SELECT 2"); // still in its transaction: it has its server
            }
            // PgBouncer's test_newly_paused_client_during_wait_for_servers_shutdown: a new transaction is closed.
            SQLException closed = assertThrows(SQLException.class, () -> other.createStatement().execute("SELECT 1"));
            assertTrue(closed.getMessage().contains("server shutting down"), closed.getMessage());
            assertFalse(f.daemon().awaitTermination(300, TimeUnit.MILLISECONDS), "a server is still active");
            inTx.commit();
            assertTrue(f.daemon().awaitTermination(10, TimeUnit.SECONDS), "exits once no server is active");
        }
    }

    @Test
    void waitForClientsKeepsClientsWorkingAndTheConsoleOnTheUnixSocket() throws Exception {
        try (PoolerFixture f = start("transaction")) {
            Connection client = f.connect();
            try (Connection console = console(f); Statement st = console.createStatement()) {
                st.execute("SHUTDOWN WAIT_FOR_CLIENTS");
                SQLException resume = assertThrows(SQLException.class, () -> st.execute("RESUME"));
                assertTrue(resume.getMessage().contains("pooler is shutting down"), resume.getMessage());
            }
            // closed before SHUTDOWN answered, as PgBouncer's cleanup_tcp_sockets
            assertThrows(ConnectException.class, () -> new Socket(f.host(), f.port()).close());
            try (Statement st = client.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "a connected client keeps working (PgBouncer's WAIT_FOR_CLIENTS)");
            }
            java.nio.file.Path socket = f.dir().resolve(".s.PGSQL." + f.port());
            assertTrue(java.nio.file.Files.exists(socket), "the unix socket stays for the console");
            String refused = unixSocketAnswer(socket,
                    RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            assertTrue(refused.startsWith("E") && refused.contains("Mpooler is shutting down"), refused);
            assertFalse(f.daemon().awaitTermination(300, TimeUnit.MILLISECONDS), "a client is still connected");
            client.close();
            assertTrue(f.daemon().awaitTermination(10, TimeUnit.SECONDS), "exits when the last client has left");
        }
    }
}

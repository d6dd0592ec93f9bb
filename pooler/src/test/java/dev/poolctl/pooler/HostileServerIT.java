package dev.poolctl.pooler;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FakeServer;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A server that breaks the protocol must cost the pooler one server connection, never the daemon or other clients.
 * The cases are PgBouncer's 2026 server-side CVE classes: an ErrorResponse without SQLSTATE (CVE-2026-6666, a NULL
 * dereference that crashed PgBouncer), SCRAM messages with huge attributes (CVE-2026-6665, a stack overflow on a long
 * server nonce), and a SCRAM iteration count that would keep a key derivation running on the event loop for minutes.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = SECONDS)
class HostileServerIT {
    private static final String FAKE_DB = "fakedb";

    private static PostgresCluster pg;

    private static PoolerFixture pooler(FakeServer fake) {
        return PoolerFixture.start(pg, PoolerFixture.settings()
                .set("server_login_retry", "0")
                .database(FAKE_DB, "host=127.0.0.1 port=" + fake.port() + " dbname=x user=fake password=fakepw"));
    }

    @Test
    void aServerThatRefusesTlsFailsTheLoginUnderRequire() throws Exception {
        try (FakeServer fake = new FakeServer(c -> {
                c.readStartup(); // answers the SSLRequest with N; the pooler must not go on in plain text
                c.welcome();
            });
             PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("server_tls_sslmode", "require")
                     .set("server_login_retry", "60")
                     .database(FAKE_DB, "host=127.0.0.1 port=" + fake.port() + " dbname=x user=fake password=x"))) {
            assertFailsBeforeLogin(f, "server refused SSL (server_tls_sslmode=require)");
        }
    }

    /**
     * A server login that fails in the TLS negotiation, before PostgreSQL has a say, as PgBouncer handles it
     * (disconnect_server in SV_LOGIN): the client waiting for it hears nothing and gives up on its own, the log
     * says why, and a client arriving within server_login_retry gets that reason as the cached error.
     */
    private static void assertFailsBeforeLogin(PoolerFixture f, String why) throws Exception {
        try (RawClient waiting = RawClient.connect(f.host(), f.port(), java.time.Duration.ofSeconds(2))) {
            IOException e = assertThrows(IOException.class,
                    () -> waiting.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, FAKE_DB));
            assertTrue(e instanceof java.net.SocketTimeoutException, "no error reaches the waiting client: " + e);
        }
        f.awaitLog("S-\\d+: .*server login failed: " + java.util.regex.Pattern.quote(why),
                java.time.Duration.ofSeconds(10));
        try (RawClient next = RawClient.connect(f)) {
            IOException e = assertThrows(IOException.class,
                    () -> next.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, FAKE_DB));
            assertTrue(e.getMessage().contains("server login has been failing, cached error: " + why), e.getMessage());
        }
    }

    @Test
    void bytesBehindTheSslAnswerAreRefused() throws Exception {
        try (FakeServer fake = new FakeServer(c -> {
                assertTrue(FakeServer.Conversation.isSslRequest(c.readPacket()));
                // 'N' and an injected AuthenticationOk in one segment: a man in the middle's move (CVE-2021-23222).
                c.sendRaw(new byte[] {'N', 'R', 0, 0, 0, 8, 0, 0, 0, 0});
            });
             PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("server_login_retry", "60")
                     .database(FAKE_DB, "host=127.0.0.1 port=" + fake.port() + " dbname=x user=fake password=x"))) {
            assertFailsBeforeLogin(f, "received unencrypted data after SSL response");
            assertOthersServed(f);
        }
    }

    @Test
    void errorWithoutSqlstateAtLoginFailsOnlyThatLogin() throws Exception {
        try (FakeServer fake = new FakeServer(c -> {
                c.readStartup();
                c.send('E', FakeServer.Conversation.fields('S', "FATAL", 'M', "no sqlstate here"));
            });
             PoolerFixture f = pooler(fake);
             RawClient client = RawClient.connect(f)) {
            IOException e = assertThrows(IOException.class,
                    () -> client.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, FAKE_DB));
            assertTrue(e.getMessage().contains("no sqlstate here"), e.getMessage());
            assertTrue(e.getMessage().contains("C="), "the client's error carries a SQLSTATE: " + e.getMessage());
            assertOthersServed(f);
        }
    }

    @Test
    void errorWithoutSqlstateInAQueryIsForwardedAndTheSessionGoesOn() throws Exception {
        try (FakeServer fake = new FakeServer(c -> {
                c.readStartup();
                c.welcome();
                c.answerQueries(sql -> {
                    c.send('E', FakeServer.Conversation.fields('S', "ERROR", 'M', "bare error"));
                    c.readyForQuery();
                });
            });
             PoolerFixture f = pooler(fake);
             RawClient client = RawClient.connect(f)) {
            client.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, FAKE_DB);
            for (int i = 0; i < 2; i++) {
                List<RawClient.Message> answer = client.simpleQuery("select 1");
                assertEquals("bare error", answer.get(0).fields().get('M'), "forwarded as the server sent it");
                assertEquals('Z', answer.get(answer.size() - 1).type());
            }
            assertOthersServed(f);
        }
    }

    @Test
    void scramWithHugeNonceAndServerFinalFailsOnlyThatLogin() throws Exception {
        try (FakeServer fake = new FakeServer(c -> {
                c.readStartup();
                c.auth(10, FakeServer.Conversation.cstrings("SCRAM-SHA-256", ""));
                byte[][] body = new byte[1][];
                c.read(body); // SASLInitialResponse: mechanism, int32 length, "n,,n=,r=<nonce>"
                String first = new String(body[0], StandardCharsets.UTF_8);
                String clientNonce = first.substring(first.indexOf("r=") + 2);
                c.auth(11, ("r=" + clientNonce + "x".repeat(200_000) + ",s=c2FsdHNhbHQ=,i=4096")
                        .getBytes(StandardCharsets.UTF_8));
                c.read(body); // client-final
                c.auth(12, ("v=" + "A".repeat(300_000)).getBytes(StandardCharsets.UTF_8));
                c.read(body); // the pooler closes: EOF ends the script
            });
             PoolerFixture f = pooler(fake);
             RawClient client = RawClient.connect(f)) {
            IOException e = assertThrows(IOException.class,
                    () -> client.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, FAKE_DB));
            assertTrue(e.getMessage().contains("login failed"), e.getMessage());
            assertOthersServed(f);
        }
    }

    @Test
    void scramIterationCountOfAHostileServerDoesNotStopTheEventLoop() throws Exception {
        CountDownLatch serverFirstSent = new CountDownLatch(1);
        try (FakeServer fake = new FakeServer(c -> {
                c.readStartup();
                c.auth(10, FakeServer.Conversation.cstrings("SCRAM-SHA-256", ""));
                byte[][] body = new byte[1][];
                c.read(body);
                String first = new String(body[0], StandardCharsets.UTF_8);
                String clientNonce = first.substring(first.indexOf("r=") + 2);
                // Hours of HMAC rounds: the derivation must not run where it stops every other client.
                c.auth(11, ("r=" + clientNonce + "srv,s=c2FsdHNhbHQ=,i=999999999").getBytes(StandardCharsets.UTF_8));
                serverFirstSent.countDown();
                c.read(body);
            });
             PoolerFixture f = pooler(fake);
             RawClient victim = RawClient.connect(f)) {
            victim.send(RawClient.startupPacket(PostgresCluster.MD5_USER, FAKE_DB));
            CompletableFuture<Void> login = CompletableFuture.runAsync(() -> {
                try {
                    victim.finishLogin(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                } catch (IOException expected) {
                    // refused or cut off: either way not logged in
                }
            });
            // Once the pooler has the server-first message, other clients must still be served at once.
            assertTrue(serverFirstSent.await(10, SECONDS), "the pooler logged in to the fake server");
            for (int i = 0; i < 5; i++) {
                long start = System.nanoTime();
                assertOthersServed(f);
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(millis < 2_000, "a query through another pool took " + millis + " ms");
            }
            victim.close();
        }
    }

    /** A pgjdbc client of the real PostgreSQL behind the same pooler still logs in and queries. */
    private static void assertOthersServed(PoolerFixture f) throws Exception {
        try (Connection c = f.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "socketTimeout=5");
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
    }
}

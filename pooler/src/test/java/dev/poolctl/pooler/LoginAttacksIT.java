package dev.poolctl.pooler;

import static dev.poolctl.pooler.LoginHardeningIT.assertError;
import static dev.poolctl.pooler.LoginHardeningIT.expectAuthRequest;
import static dev.poolctl.pooler.LoginHardeningIT.saslData;
import static dev.poolctl.pooler.LoginHardeningIT.saslInitialResponse;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PgBouncer's 2025/2026 vulnerability classes, each as the test that would have caught it here: a StartupMessage
 * during authentication, malformed {@code options}, absurd packet lengths at every stage, malformed SCRAM
 * messages, a StartupMessage trickled one byte at a time. Each attack gets a prompt FATAL (08P01) and a closed
 * connection, and the daemon keeps serving others.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = SECONDS)
class LoginAttacksIT {
    /** Every answer here must come at once: a read that waits this long is the hang the test is about. */
    private static final Duration PROMPT = Duration.ofSeconds(5);

    private static PostgresCluster pg;
    private static PoolerFixture pooler;

    @BeforeAll
    static void startPooler() {
        // client_login_timeout far above PROMPT: a pooler that waits for more bytes fails the test, not the timeout.
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("auth_type", "md5").set("client_login_timeout", "60").set("admin_users", "md5_user"));
    }

    @AfterAll
    static void stopPooler() {
        if (pooler != null) {
            pooler.close();
        }
    }

    private static RawClient raw() throws IOException {
        return RawClient.connect(pooler.host(), pooler.port(), PROMPT);
    }

    private static void assertClosedAndOthersServed(RawClient c) throws Exception {
        assertTrue(c.awaitClosed(PROMPT), "connection closed after the error");
        try (Connection conn = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("select 1")) {
            assertTrue(rs.next());
        }
    }

    private static void assertFatal(RawClient.Message m) {
        assertNotNull(m, "expected an ErrorResponse, the connection was closed instead");
        assertEquals('E', m.type(), "expected an ErrorResponse, got " + m);
        assertEquals("FATAL", m.fields().get('S'), m.toString());
        assertEquals("08P01", m.fields().get('C'), m.toString());
    }

    private static byte[] md5Answer(String user, String password, RawClient.Message challenge) {
        return LoginHardeningIT.passwordMessage(RawClient.md5Response(user, password,
                Arrays.copyOfRange(challenge.body(), 4, 8)));
    }

    /** Logs in md5_user to {@code db} on the raw wire. */
    private static RawClient loggedIn(String db) throws IOException {
        RawClient c = raw();
        c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, db);
        return c;
    }

    // ---- a StartupMessage after the startup phase (PgBouncer 1.26.1: one sent during SCRAM logged in as another user) ----

    @Test
    void startupMessageDuringScramIsAProtocolViolation() throws Exception {
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(PostgresCluster.SCRAM_USER, PostgresCluster.TEST_DB));
            expectAuthRequest(c, 10);
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            assertError(c.read(), "client re-sent startup pkt");
            assertClosedAndOthersServed(c);
        }
        // Between client-first and client-final as well.
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(PostgresCluster.SCRAM_USER, PostgresCluster.TEST_DB));
            expectAuthRequest(c, 10);
            c.send(saslInitialResponse("SCRAM-SHA-256", ScramClientExchange.forPassword("x").clientFirst()));
            expectAuthRequest(c, 11);
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            assertError(c.read(), "client re-sent startup pkt");
            assertClosedAndOthersServed(c);
        }
    }

    @Test
    void startupMessageDuringMd5IsAProtocolViolation() throws Exception {
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            expectAuthRequest(c, 5);
            c.send(RawClient.startupPacket(PostgresCluster.CLEARTEXT_USER, PostgresCluster.TEST_DB));
            assertError(c.read(), "client re-sent startup pkt");
            assertClosedAndOthersServed(c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {PostgresCluster.TEST_DB, "pgbouncer"})
    void startupMessageAfterLoginIsAProtocolViolation(String db) throws Exception {
        try (RawClient c = loggedIn(db)) {
            c.send(RawClient.startupPacket(PostgresCluster.CLEARTEXT_USER, PostgresCluster.TEST_DB));
            assertError(c.read(), "unknown pkt");
            assertClosedAndOthersServed(c);
        }
    }

    // ---- a StartupMessage trickled one byte per write ----

    @Test
    void startupMessageTrickledOneBytePerWriteLogsIn() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", PostgresCluster.MD5_USER);
        params.put("database", PostgresCluster.TEST_DB);
        params.put("extra_float_digits", "3".repeat(9_000)); // ignored: only makes the packet near the 10000 limit
        byte[] packet = RawClient.startupPacket(params);
        try (RawClient c = RawClient.connect(pooler.host(), pooler.port(), Duration.ofSeconds(30))) {
            c.socket().setTcpNoDelay(true);
            OutputStream out = c.socket().getOutputStream();
            for (byte b : packet) {
                out.write(b);
                out.flush();
            }
            c.finishLogin(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
            assertEquals(List.of("1"), RawClient.firstColumn(c.simpleQuery("select 1")));
        }
    }

    // ---- malformed options (PgBouncer's CPU spin on options=-c=) ----

    @ParameterizedTest
    @ValueSource(strings = {"-c=", "-c", "--=x", "-c a", "-x", "-c a\\", "=", "-c  =1", "--", "-c=-c=-c=", "-c a=1 -c"})
    void malformedOptionsAreRefusedWithPgBouncersWording(String options) throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", PostgresCluster.MD5_USER);
        params.put("database", PostgresCluster.TEST_DB);
        params.put("options", options);
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(params));
            assertError(c.read(), "unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed");
            assertClosedAndOthersServed(c);
        }
    }

    @Test
    void longMalformedOptionsAreRefusedPromptly() throws Exception {
        for (String options : List.of("-c=".repeat(3_000), "-c ".repeat(3_000), "\\".repeat(9_000), "-c a=" + "\\ ".repeat(4_000) + " -x")) {
            Map<String, String> params = new LinkedHashMap<>();
            params.put("user", PostgresCluster.MD5_USER);
            params.put("options", options);
            try (RawClient c = raw()) {
                c.send(RawClient.startupPacket(params));
                assertError(c.read(), "unsupported options startup parameter: only '-c config=val' and '--config=val' are allowed");
                assertTrue(c.awaitClosed(PROMPT));
            }
        }
    }

    // ---- absurd lengths at every stage ----

    @ParameterizedTest
    @ValueSource(ints = {0, 3, 7, -1, -8, Integer.MIN_VALUE, 10_001, Integer.MAX_VALUE})
    void badStartupLengthIsRefusedAtOnce(int length) throws Exception {
        try (RawClient c = raw()) {
            c.send(ByteBuffer.allocate(8).putInt(length).putInt(196608).array());
            RawClient.Message m = c.read();
            assertFatal(m);
            assertTrue(m.fields().get('M').startsWith("bad packet header: '"), m.toString());
            assertClosedAndOthersServed(c);
        }
    }

    /** The message a stage answers to a typed message declaring {@code length}. */
    private static void assertLengthRefused(RawClient c, char type, int length) throws Exception {
        c.send(ByteBuffer.allocate(5).put((byte) type).putInt(length).array());
        RawClient.Message m = c.read();
        assertFatal(m);
        String expected = length < 4 ? "invalid packet length " + length : "packet too large: " + length + " bytes";
        assertTrue(m.fields().get('M').startsWith(expected), m.toString());
        assertClosedAndOthersServed(c);
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 0, -1, Integer.MIN_VALUE, 65_537, Integer.MAX_VALUE})
    void badLengthDuringAuthenticationIsRefusedAtOnce(int length) throws Exception {
        try (RawClient c = raw()) {
            c.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            expectAuthRequest(c, 5);
            assertLengthRefused(c, 'p', length);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, -1, Integer.MIN_VALUE})
    void badLengthWhenLinkedIsRefusedAtOnce(int length) throws Exception {
        try (RawClient c = loggedIn(PostgresCluster.TEST_DB)) {
            assertLengthRefused(c, 'Q', length);
        }
    }

    /**
     * 2 GB is within the default max_packet_size (PgBouncer's too), so the header streams to the server, which
     * refuses it: the client gets a FATAL at once, not a 2 GB wait, and nobody else notices.
     */
    @Test
    void hugeLengthWhenLinkedEndsOnlyThatClient() throws Exception {
        try (RawClient c = loggedIn(PostgresCluster.TEST_DB)) {
            c.send(ByteBuffer.allocate(5).put((byte) 'Q').putInt(Integer.MAX_VALUE).array());
            assertFatal(c.read());
            assertClosedAndOthersServed(c);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {3, -1, Integer.MIN_VALUE, Integer.MAX_VALUE})
    void badLengthOnTheConsoleIsRefusedAtOnce(int length) throws Exception {
        try (RawClient c = loggedIn("pgbouncer")) {
            assertLengthRefused(c, 'Q', length);
        }
    }

    // ---- malformed SCRAM messages (CVE-2026-6664: an integer overflow in SCRAM packet parsing) ----

    private static RawClient scramStarted() throws IOException {
        RawClient c = raw();
        c.send(RawClient.startupPacket(PostgresCluster.SCRAM_USER, PostgresCluster.TEST_DB));
        expectAuthRequest(c, 10);
        return c;
    }

    /** SASLInitialResponse whose data length word says {@code declared} while {@code data} follows. */
    private static byte[] saslInitialWithLength(int declared, String data) {
        byte[] m = "SCRAM-SHA-256".getBytes(StandardCharsets.UTF_8);
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        return RawClient.message('p', ByteBuffer.allocate(m.length + 5 + d.length)
                .put(m).put((byte) 0).putInt(declared).put(d).array());
    }

    @ParameterizedTest
    @ValueSource(ints = {Integer.MAX_VALUE, Integer.MIN_VALUE, -2, 1_000, 25})
    void saslInitialResponseWithABadDataLengthIsRefused(int declared) throws Exception {
        try (RawClient c = scramStarted()) {
            c.send(saslInitialWithLength(declared, "n,,n=,r=abcdefghij"));
            assertError(c.read(), "malformed SASLInitialResponse");
            assertClosedAndOthersServed(c);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "n", "n,", "n,,", "n,,n=", "n,,r=abc", "n,,n=,r=", "n,,n=,r=a\u0001b", "x,,n=,r=abc",
        "p=tls-server-end-point,,n=,r=abc", "n,a=someone,n=,r=abc", "n,,m=ext,n=,r=abc", "n,,n=,n=,r=abc", "y"})
    void malformedClientFirstMessageIsRefused(String clientFirst) throws Exception {
        try (RawClient c = scramStarted()) {
            c.send(saslInitialResponse("SCRAM-SHA-256", clientFirst));
            assertFatal(c.read());
            assertClosedAndOthersServed(c);
        }
    }

    @Test
    void otherSaslMechanismIsRefused() throws Exception {
        try (RawClient c = scramStarted()) {
            c.send(saslInitialResponse("SCRAM-SHA-256-PLUS", "p=tls-server-end-point,,n=,r=abc"));
            assertError(c.read(), "client selected an invalid SASL authentication mechanism");
            assertClosedAndOthersServed(c);
        }
    }

    /** Right password, but the client-final-message is tampered with: never a login. */
    @ParameterizedTest
    @ValueSource(strings = {"wrong-nonce", "no-proof", "short-proof", "long-proof", "bad-base64", "y-binding",
        "empty", "garbage-after-proof", "huge-attribute"})
    void tamperedClientFinalMessageFails(String how) throws Exception {
        try (RawClient c = scramStarted()) {
            ScramClientExchange x = ScramClientExchange.forPassword(PostgresCluster.SCRAM_PASSWORD);
            c.send(saslInitialResponse("SCRAM-SHA-256", x.clientFirst()));
            String serverFirst = saslData(expectAuthRequest(c, 11));
            String good = x.clientFinal(serverFirst);
            String withoutProof = good.substring(0, good.lastIndexOf(",p="));
            String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
            String bad = switch (how) {
                case "wrong-nonce" -> good.replace("r=" + nonce, "r=" + nonce + "x");
                case "no-proof" -> withoutProof;
                case "short-proof" -> withoutProof + ",p=" + java.util.Base64.getEncoder().encodeToString(new byte[31]);
                case "long-proof" -> withoutProof + ",p=" + java.util.Base64.getEncoder().encodeToString(new byte[33]);
                case "bad-base64" -> withoutProof + ",p=!!!!";
                case "y-binding" -> good.replace("c=biws", "c=eSws");
                case "empty" -> "";
                case "garbage-after-proof" -> good + ",x=1";
                default -> withoutProof + ",x=" + "A".repeat(60_000) + good.substring(good.lastIndexOf(",p="));
            };
            c.send(RawClient.message('p', bad.getBytes(StandardCharsets.UTF_8)));
            RawClient.Message m = c.read();
            assertError(m, "SASL authentication failed");
            assertClosedAndOthersServed(c);
        }
    }
}

package dev.poolctl.pooler;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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
 * The login as an attacker sees it: empty passwords, probing for user names, trust without auth_file, SCRAM keys
 * derived once, protocol version negotiation (items 2, 3, 7 and 12 of the hardening issue).
 *
 * <p>Logins to the admin console (database {@code pgbouncer}) show what the pooler's own authentication lets in,
 * without a server login behind it.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = SECONDS)
class LoginHardeningIT {
    private static final Duration AWAIT = Duration.ofSeconds(10);
    static final String EMPTY_USER = "empty_user";
    static final String EMPTY_MD5_USER = "empty_md5_user";
    static final String RELOAD_USER = "reload_user";

    private static PostgresCluster pg;
    private static PoolerFixture md5;
    private static PoolerFixture scram;
    private static PoolerFixture plain;
    private static PoolerFixture trustWithoutAuthFile;

    @BeforeAll
    static void startPoolers() {
        md5 = start("md5");
        scram = start("scram-sha-256");
        plain = start("plain");
        trustWithoutAuthFile = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("auth_type", "trust").set("auth_file", "").set("pool_mode", "session"));
    }

    private static PoolerFixture start(String authType) {
        return PoolerFixture.start(pg, PoolerFixture.settings()
                .set("auth_type", authType)
                .set("pool_mode", "session")
                .set("admin_users", EMPTY_USER + "," + EMPTY_MD5_USER + "," + PostgresCluster.CLEARTEXT_USER + ","
                        + RELOAD_USER)
                .authFileLine(EMPTY_USER, "")
                .authFileLine(EMPTY_MD5_USER, Md5Password.encrypt("", EMPTY_MD5_USER))
                .authFileLine(RELOAD_USER, "before-reload"));
    }

    @AfterAll
    static void stopPoolers() {
        for (PoolerFixture f : Arrays.asList(md5, scram, plain, trustWithoutAuthFile)) {
            if (f != null) {
                f.close();
            }
        }
    }

    // ---- helpers ----

    static RawClient raw(PoolerFixture f) throws IOException {
        return RawClient.connect(f.host(), f.port(), AWAIT);
    }

    static RawClient.Message expectAuthRequest(RawClient c, int code) throws IOException {
        RawClient.Message m = c.read();
        assertNotNull(m, "connection closed, expected an authentication request " + code);
        assertEquals('R', m.type(), "expected an authentication request " + code + ", got " + m);
        assertEquals(code, m.authCode(), "authentication request of " + m);
        return m;
    }

    static byte[] passwordMessage(String text) {
        return RawClient.message('p', (text + "\0").getBytes(StandardCharsets.UTF_8));
    }

    static byte[] saslInitialResponse(String mechanism, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        byte[] m = mechanism.getBytes(StandardCharsets.UTF_8);
        return RawClient.message('p', ByteBuffer.allocate(m.length + 1 + 4 + d.length)
                .put(m).put((byte) 0).putInt(d.length).put(d).array());
    }

    /** The text after the auth code of an AuthenticationSASLContinue/Final. */
    static String saslData(RawClient.Message m) {
        return new String(m.body(), 4, m.body().length - 4, StandardCharsets.UTF_8);
    }

    /** Startup, md5 challenge, answer for {@code password}: the message that follows (error or AuthenticationOk). */
    static RawClient.Message md5Login(PoolerFixture f, String user, String password, String db) throws IOException {
        try (RawClient c = raw(f)) {
            c.send(RawClient.startupPacket(user, db));
            RawClient.Message challenge = expectAuthRequest(c, 5);
            byte[] salt = Arrays.copyOfRange(challenge.body(), 4, 8);
            c.send(passwordMessage(RawClient.md5Response(user, password, salt)));
            return c.read();
        }
    }

    /** A whole SCRAM exchange on the wire; returns the server-first-message and the answer to client-final. */
    record ScramOutcome(String serverFirst, RawClient.Message last) {}

    static ScramOutcome scramLogin(PoolerFixture f, String user, String password, String db) throws Exception {
        try (RawClient c = raw(f)) {
            c.send(RawClient.startupPacket(user, db));
            expectAuthRequest(c, 10);
            ScramClientExchange x = ScramClientExchange.forPassword(password);
            c.send(saslInitialResponse("SCRAM-SHA-256", x.clientFirst()));
            String serverFirst = saslData(expectAuthRequest(c, 11));
            c.send(RawClient.message('p', x.clientFinal(serverFirst).getBytes(StandardCharsets.UTF_8)));
            return new ScramOutcome(serverFirst, c.read());
        }
    }

    static void assertError(RawClient.Message m, String message) {
        assertNotNull(m, "expected an ErrorResponse '" + message + "', the connection was closed instead");
        assertEquals('E', m.type(), "expected an ErrorResponse '" + message + "', got " + m);
        assertEquals(message, m.fields().get('M'), m.toString());
        assertEquals("FATAL", m.fields().get('S'), m.toString());
        assertEquals("08P01", m.fields().get('C'), m.toString());
    }

    static String saltOf(String serverFirst) {
        for (String attr : serverFirst.split(",")) {
            if (attr.startsWith("s=")) {
                return attr.substring(2);
            }
        }
        throw new AssertionError("no salt in " + serverFirst);
    }

    // ---- item 2: no empty passwords ----

    @ParameterizedTest
    @ValueSource(strings = {EMPTY_USER, EMPTY_MD5_USER})
    void md5LoginWithAnEmptyPasswordIsRefused(String user) throws Exception {
        assertError(md5Login(md5, user, "", "pgbouncer"), "password authentication failed");
        // What a wrong password of the same user gets: the empty entry is not special on the wire.
        assertError(md5Login(md5, user, "x", "pgbouncer"), "password authentication failed");
    }

    @ParameterizedTest
    @ValueSource(strings = {EMPTY_USER, EMPTY_MD5_USER})
    void plainLoginWithAnEmptyPasswordIsRefused(String user) throws Exception {
        try (RawClient c = raw(plain)) {
            c.send(RawClient.startupPacket(user, "pgbouncer"));
            expectAuthRequest(c, 3);
            c.send(passwordMessage(""));
            assertError(c.read(), "empty password returned by client");
            assertTrue(c.awaitClosed(AWAIT));
        }
        try (RawClient c = raw(plain)) {
            c.send(RawClient.startupPacket(user, "pgbouncer"));
            expectAuthRequest(c, 3);
            c.send(passwordMessage("not-empty"));
            assertError(c.read(), "password authentication failed");
        }
    }

    /** A real user's empty cleartext password is refused before it is compared. */
    @Test
    void emptyCleartextPasswordFromTheClientIsRefused() throws Exception {
        try (RawClient c = raw(plain)) {
            c.send(RawClient.startupPacket(PostgresCluster.CLEARTEXT_USER, "pgbouncer"));
            expectAuthRequest(c, 3);
            c.send(passwordMessage(""));
            assertError(c.read(), "empty password returned by client");
        }
        // The same user with the right password gets into the console: the refusal is about the empty password.
        try (RawClient c = raw(plain)) {
            c.login(PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD, "pgbouncer");
        }
    }

    @Test
    void scramLoginWithAnEmptyPasswordIsRefused() throws Exception {
        ScramOutcome o = scramLogin(scram, EMPTY_USER, "", "pgbouncer");
        assertError(o.last(), "SASL authentication failed");
    }

    // ---- item 3: no user-name probing ----

    @Test
    void unknownUserGetsAnMd5ChallengeAndTheWrongPasswordError() throws Exception {
        RawClient.Message unknown = md5Login(md5, "nobody_here", "x", PostgresCluster.TEST_DB);
        RawClient.Message wrong = md5Login(md5, PostgresCluster.MD5_USER, "x", PostgresCluster.TEST_DB);
        assertError(unknown, "password authentication failed");
        assertEquals(wrong.fields(), unknown.fields());
        md5.awaitLog("no such user: nobody_here", AWAIT);
    }

    @Test
    void unknownUserGetsACleartextRequestAndTheWrongPasswordError() throws Exception {
        RawClient.Message[] answers = new RawClient.Message[2];
        String[] users = {"nobody_here", PostgresCluster.CLEARTEXT_USER};
        for (int i = 0; i < 2; i++) {
            try (RawClient c = raw(plain)) {
                c.send(RawClient.startupPacket(users[i], PostgresCluster.TEST_DB));
                expectAuthRequest(c, 3);
                c.send(passwordMessage("wrong"));
                answers[i] = c.read();
            }
        }
        assertError(answers[0], "password authentication failed");
        assertEquals(answers[1].fields(), answers[0].fields());
    }

    @Test
    void unknownUserGetsAScramExchangeWithAStableSaltPerName() throws Exception {
        ScramOutcome first = scramLogin(scram, "nobody_here", "x", PostgresCluster.TEST_DB);
        ScramOutcome again = scramLogin(scram, "nobody_here", "y", PostgresCluster.TEST_DB);
        ScramOutcome other = scramLogin(scram, "nobody_else", "x", PostgresCluster.TEST_DB);
        ScramOutcome wrong = scramLogin(scram, PostgresCluster.SCRAM_USER, "x", PostgresCluster.TEST_DB);

        assertError(first.last(), "SASL authentication failed");
        assertEquals(wrong.last().fields(), first.last().fields());
        // A real user's salt is the same at every login; so is a mock user's, and it differs between names.
        assertEquals(saltOf(first.serverFirst()), saltOf(again.serverFirst()));
        assertNotEquals(saltOf(first.serverFirst()), saltOf(other.serverFirst()));
        assertEquals(16, java.util.Base64.getDecoder().decode(saltOf(first.serverFirst())).length);
        assertTrue(first.serverFirst().endsWith(",i=4096"), first.serverFirst());
    }

    /** md5 auth_type with an md5 secret under scram-sha-256: a mock exchange too, failing at the proof. */
    @Test
    void md5SecretUnderScramGetsAMockExchange() throws Exception {
        ScramOutcome o = scramLogin(scram, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, PostgresCluster.TEST_DB);
        assertError(o.last(), "SASL authentication failed");
    }

    @Test
    void trustWithoutAuthFileLetsNobodyIn() throws Exception {
        try (RawClient c = raw(trustWithoutAuthFile)) {
            c.send(RawClient.startupPacket(PostgresCluster.TRUST_USER, PostgresCluster.TEST_DB));
            assertError(c.read(), "\"trust\" authentication failed");
            assertTrue(c.awaitClosed(AWAIT));
        }
    }

    // ---- item 7: SCRAM keys of a plain-text password are derived once ----

    @Test
    void plainPasswordGetsTheSameScramSaltAtEveryLogin() throws Exception {
        ScramOutcome first = scramLogin(scram, PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD,
                "pgbouncer");
        ScramOutcome second = scramLogin(scram, PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD,
                "pgbouncer");
        assertEquals('R', first.last().type(), "login worked: " + first.last());
        assertEquals(12, first.last().authCode());
        assertEquals(12, second.last().authCode());
        assertEquals(saltOf(first.serverFirst()), saltOf(second.serverFirst()), "keys derived once, salt reused");
    }

    /** A reload that changes a plain-text password derives new keys: the old password stops working at once. */
    @Test
    void reloadWithAChangedPasswordDerivesNewKeys() throws Exception {
        ScramOutcome before = scramLogin(scram, RELOAD_USER, "before-reload", "pgbouncer");
        assertEquals(12, before.last().authCode(), "login before the reload: " + before.last());
        java.nio.file.Path authFile = scram.dir().resolve("userlist.txt");
        String text = java.nio.file.Files.readString(authFile);
        java.nio.file.Files.writeString(authFile, text.replace("\"before-reload\"", "\"after-reload\""));
        try (Connection admin = scram.connect("pgbouncer", RELOAD_USER, "before-reload", "preferQueryMode=simple");
             Statement st = admin.createStatement()) {
            st.execute("RELOAD");
        }
        PoolerFixture.await("the new password works", AWAIT, () -> {
            try {
                return scramLogin(scram, RELOAD_USER, "after-reload", "pgbouncer").last().type() == 'R';
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        ScramOutcome after = scramLogin(scram, RELOAD_USER, "after-reload", "pgbouncer");
        assertEquals(12, after.last().authCode());
        assertNotEquals(saltOf(before.serverFirst()), saltOf(after.serverFirst()), "new keys, new salt");
        assertError(scramLogin(scram, RELOAD_USER, "before-reload", "pgbouncer").last(), "SASL authentication failed");
    }

    // ---- item 12: protocol versions ----

    static byte[] startupPacket(int version, Map<String, String> params) {
        byte[] v30 = RawClient.startupPacket(params);
        ByteBuffer.wrap(v30).putInt(4, version);
        return v30;
    }

    static Map<String, String> params(String... kv) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("user", PostgresCluster.MD5_USER);
        p.put("database", PostgresCluster.TEST_DB);
        for (int i = 0; i < kv.length; i += 2) {
            p.put(kv[i], kv[i + 1]);
        }
        return p;
    }

    /** NegotiateProtocolVersion: newest version, then the unrecognized options. */
    static void assertNegotiation(RawClient.Message m, List<String> options) {
        assertNotNull(m);
        assertEquals('v', m.type(), "expected NegotiateProtocolVersion, got " + m);
        ByteBuffer b = ByteBuffer.wrap(m.body());
        assertEquals(196608, b.getInt(), "newest minor supported is 3.0");
        assertEquals(options.size(), b.getInt());
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        names.write(m.body(), 8, m.body().length - 8);
        String joined = names.toString(StandardCharsets.UTF_8);
        assertEquals(options.isEmpty() ? "" : String.join("\0", options) + "\0", joined);
    }

    @Test
    void protocol32IsAnsweredWithNegotiateProtocolVersionAndTheLoginGoesOn() throws Exception {
        try (RawClient c = raw(md5)) {
            c.send(startupPacket((3 << 16) | 2, params()));
            assertNegotiation(c.read(), List.of());
            RawClient.Message challenge = expectAuthRequest(c, 5);
            c.send(passwordMessage(RawClient.md5Response(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    Arrays.copyOfRange(challenge.body(), 4, 8))));
            c.readUntil('Z');
            assertEquals(List.of("1"), RawClient.firstColumn(c.simpleQuery("select 1")));
        }
    }

    @Test
    void protocolOptionsAreListedAsUnrecognized() throws Exception {
        try (RawClient c = raw(md5)) {
            c.send(startupPacket(196608, params("_pq_.compression", "on", "_pq_.other", "x")));
            assertNegotiation(c.read(), List.of("_pq_.compression", "_pq_.other"));
            c.finishLogin(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
            assertEquals(List.of("1"), RawClient.firstColumn(c.simpleQuery("select 1")));
        }
    }

    @Test
    void otherMajorVersionsAreRefused() throws Exception {
        try (RawClient c = raw(md5)) {
            c.send(startupPacket(4 << 16, params()));
            assertError(c.read(), "unsupported frontend protocol 4.0: server supports 3.0 to 3.0");
            assertTrue(c.awaitClosed(AWAIT));
        }
        try (RawClient c = raw(md5)) {
            c.send(startupPacket(2 << 16, params()));
            assertError(c.read(), "old V2 protocol not supported");
            assertTrue(c.awaitClosed(AWAIT));
        }
        try (Connection conn = md5.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
             Statement st = conn.createStatement();
             ResultSet rs = st.executeQuery("select 1")) {
            assertTrue(rs.next());
        }
    }
}

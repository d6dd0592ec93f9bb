package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Client logins through the pooler for every auth_type poolctl supports and every kind of auth_file secret,
 * and the server logins behind them (PgBouncer's test_auth.py).
 *
 * <p>The auth_file (written by PoolerFixture) holds: md5_user with its md5 secret; scram_user with the SCRAM
 * secret PostgreSQL stored; cleartext_user and trust_user with their plain passwords. Over TCP the cluster
 * authenticates md5_user with md5, scram_user with SCRAM (only possible for the pooler through SCRAM
 * pass-through: the keys the client proved), cleartext_user with {@code password} and trust_user with trust.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AuthIT {
    private static PostgresCluster pg;
    /** One pooler per auth_type, in session mode (the login is what is tested). */
    private static final Map<String, PoolerFixture> FIXTURES = new LinkedHashMap<>();

    @BeforeAll
    static void startPoolers() {
        for (String authType : List.of("md5", "scram-sha-256", "plain", "trust")) {
            FIXTURES.put(authType, PoolerFixture.start(pg, PoolerFixture.settings()
                    .set("auth_type", authType)
                    .set("pool_mode", "session")
                    .set("default_pool_size", "3")));
        }
    }

    @AfterAll
    static void stopPoolers() {
        FIXTURES.values().forEach(PoolerFixture::close);
        FIXTURES.clear();
    }

    private static String currentUser(String authType, String user, String password) throws SQLException {
        try (Connection c = FIXTURES.get(authType).connect(PostgresCluster.TEST_DB, user, password);
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT current_user, current_database()")) {
            assertTrue(rs.next());
            assertEquals(PostgresCluster.TEST_DB, rs.getString(2));
            return rs.getString(1);
        }
    }

    // ---------------------------------------------------------------- logins that work

    @ParameterizedTest(name = "auth_type={0} user={1}")
    @CsvSource({
        // md5: md5 challenge for md5 and plain secrets, upgraded to SCRAM for a SCRAM secret
        "md5,           md5_user,       md5_pw",
        "md5,           scram_user,     scram_pw",
        "md5,           cleartext_user, cleartext_pw",
        "md5,           trust_user,     trust_pw",
        // scram-sha-256: a SCRAM secret, or a plain password the pooler derives one from
        "scram-sha-256, scram_user,     scram_pw",
        "scram-sha-256, cleartext_user, cleartext_pw",
        "scram-sha-256, trust_user,     trust_pw",
        // plain: the cleartext password is checked against any kind of secret
        "plain,         md5_user,       md5_pw",
        "plain,         cleartext_user, cleartext_pw",
        "plain,         trust_user,     trust_pw",
        // trust: no password asked; the server login still needs the auth_file secret
        "trust,         md5_user,       md5_pw",
        "trust,         cleartext_user, cleartext_pw",
        "trust,         trust_user,     trust_pw",
    })
    void loginWorks(String authType, String user, String password) throws SQLException {
        // twice: the first login opens the server connection, the second reuses it
        assertEquals(user, currentUser(authType, user, password));
        assertEquals(user, currentUser(authType, user, password));
    }

    /**
     * auth_type=plain with a SCRAM secret: the pooler checks the cleartext password against the SCRAM secret,
     * but then has no SCRAM keys to log in to the server, which authenticates scram_user with SCRAM (the
     * client did not do SCRAM, so there is nothing to pass through). PgBouncer fails the same way.
     */
    @Test
    void plainAuthWithScramSecretCannotLogInToAScramServer() {
        SQLException e = assertThrows(SQLException.class,
                () -> currentUser("plain", PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD));
        assertTrue(e.getMessage().contains("SCRAM"), e.getMessage());
        assertTrue(e.getMessage().contains("wrong password type"), "PgBouncer's words: " + e.getMessage());
    }

    /** auth_type=trust with a SCRAM secret: as above, no SCRAM keys for the server login. */
    @Test
    void trustAuthWithScramSecretCannotLogInToAScramServer() {
        SQLException e = assertThrows(SQLException.class,
                () -> currentUser("trust", PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD));
        assertTrue(e.getMessage().contains("SCRAM"), e.getMessage());
        assertTrue(e.getMessage().contains("wrong password type"), "PgBouncer's words: " + e.getMessage());
    }

    @Test
    void trustAuthNeedsNoPassword() throws SQLException {
        assertEquals(PostgresCluster.MD5_USER, currentUser("trust", PostgresCluster.MD5_USER, null));
        assertEquals(PostgresCluster.TRUST_USER, currentUser("trust", PostgresCluster.TRUST_USER, "anything"));
    }

    // ---------------------------------------------------------------- logins that must fail

    /** An md5 hash cannot answer a SCRAM exchange. */
    @Test
    void scramAuthWithMd5SecretFails() {
        SQLException e = assertThrows(SQLException.class,
                () -> currentUser("scram-sha-256", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD));
        assertTrue(e.getMessage().contains("SASL authentication failed"), e.getMessage());
    }

    @ParameterizedTest(name = "auth_type={0} user={1}")
    @CsvSource({
        "md5,           md5_user,       password authentication failed",
        "md5,           scram_user,     SASL authentication failed",
        "md5,           cleartext_user, password authentication failed",
        "scram-sha-256, scram_user,     SASL authentication failed",
        "scram-sha-256, cleartext_user, SASL authentication failed",
        "plain,         md5_user,       password authentication failed",
        "plain,         scram_user,     password authentication failed",
        "plain,         cleartext_user, password authentication failed",
    })
    void wrongPasswordIsRejected(String authType, String user, String message) {
        SQLException e = assertThrows(SQLException.class, () -> currentUser(authType, user, "wrong-password"));
        assertTrue(e.getMessage().contains(message), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"md5", "scram-sha-256", "plain"})
    void unknownUserIsRejected(String authType) {
        SQLException e = assertThrows(SQLException.class, () -> currentUser(authType, "nobody", "x"));
        assertTrue(e.getMessage().contains("authentication failed"), e.getMessage());
    }

    // ---------------------------------------------------------------- unix socket

    /** pgjdbc cannot use unix sockets: psql with {@code -h <unix_socket_dir>}. */
    @ParameterizedTest
    @CsvSource({
        "md5,           md5_user,   md5_pw",
        "scram-sha-256, scram_user, scram_pw",
    })
    void unixSocketClient(String authType, String user, String password) {
        PoolerFixture f = FIXTURES.get(authType);
        assertTrue(java.nio.file.Files.exists(f.dir().resolve(".s.PGSQL." + f.port())), "socket file exists");
        Processes.Result r = Processes.command(pg.binary("psql").toString(), "-X", "-At", "-v", "ON_ERROR_STOP=1",
                        "-h", f.dir().toString(), "-p", Integer.toString(f.port()), "-U", user, "-d", PostgresCluster.TEST_DB,
                        "-c", "select 1", "-c", "select current_user")
                .env("PGPASSWORD", password)
                .env("PGCONNECT_TIMEOUT", "10")
                .timeout(Duration.ofSeconds(30))
                .run()
                .assertSuccess("psql over the unix socket");
        assertEquals("1\n" + user, r.stdout().strip());
    }

    /**
     * scram_iterations: the SCRAM secret the pooler derives from a plain-text auth_file password, and an unknown
     * user's mock exchange, use it (the server-first-message's {@code i=}), and logins work with it.
     */
    @Test
    void scramIterationsSetsTheCountOfSecretsThePoolerMakes() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("auth_type", "scram-sha-256")
                .set("scram_iterations", "1000"))) {
            for (String user : List.of(PostgresCluster.CLEARTEXT_USER, "no_such_user")) {
                try (dev.poolctl.pooler.support.RawClient raw = dev.poolctl.pooler.support.RawClient.connect(f)) {
                    raw.send(dev.poolctl.pooler.support.RawClient.startupPacket(user, PostgresCluster.TEST_DB));
                    assertEquals(10, raw.read().authCode(), "AuthenticationSASL");
                    byte[] first = "n,,n=,r=abcdefghijklmnop".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
                    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
                    body.writeBytes("SCRAM-SHA-256\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    body.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(first.length).array());
                    body.writeBytes(first);
                    raw.send(dev.poolctl.pooler.support.RawClient.message('p', body.toByteArray()));
                    dev.poolctl.pooler.support.RawClient.Message cont = raw.read();
                    assertEquals(11, cont.authCode(), "AuthenticationSASLContinue");
                    String serverFirst = new String(cont.body(), 4, cont.body().length - 4,
                            java.nio.charset.StandardCharsets.US_ASCII);
                    assertTrue(serverFirst.endsWith(",i=1000"), user + ": " + serverFirst);
                }
            }
            assertEquals(PostgresCluster.CLEARTEXT_USER, f.currentUser(PostgresCluster.TEST_DB,
                    PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD));
        }
    }
}

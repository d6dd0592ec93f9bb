package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;

class ScramExchangeTest {
    // RFC 7677 section 3.
    private static final String RFC_CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
    private static final String RFC_SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final String RFC_SALT = "W22ZaJ0SNY7soEsUEjb6gQ==";

    @Test
    void reproducesRfc7677Example() throws ScramException {
        ScramSecret secret = ScramSecret.fromPassword("pencil", Base64.getDecoder().decode(RFC_SALT), 4096);
        ScramClientExchange client = ScramClientExchange.forPassword("pencil", "user", RFC_CLIENT_NONCE);
        ScramServerExchange server = new ScramServerExchange(secret, RFC_SERVER_NONCE);

        String clientFirst = client.clientFirst();
        assertEquals("n,,n=user,r=rOprNGfwEbeRWgbNEkqO", clientFirst);

        String serverFirst = server.serverFirst(clientFirst);
        assertEquals("r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
                serverFirst);

        String clientFinal = client.clientFinal(serverFirst);
        assertEquals("c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
                + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=", clientFinal);

        String serverFinal = server.serverFinal(clientFinal);
        assertEquals("v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=", serverFinal);

        client.verifyServerFinal(serverFinal);
        assertTrue(server.isAuthenticated());
        assertTrue(client.isComplete());
    }

    @Test
    void clientAndServerAgree() throws ScramException {
        ScramSecret secret = ScramSecret.fromPassword("s3cret");
        ScramClientExchange client = ScramClientExchange.forPassword("s3cret");
        ScramServerExchange server = new ScramServerExchange(secret);

        String clientFirst = client.clientFirst();
        assertTrue(clientFirst.startsWith("n,,n=,r="), clientFirst);
        String serverFirst = server.serverFirst(clientFirst);
        client.verifyServerFinal(server.serverFinal(client.clientFinal(serverFirst)));

        assertTrue(server.isAuthenticated());
        assertTrue(client.isComplete());
        assertEquals(ScramSecret.fromPassword("s3cret", secret.salt(), secret.iterations()), secret);
    }

    @Test
    void noncesAreFreshBase64Of18Bytes() throws ScramException {
        String first = ScramClientExchange.forPassword("pw").clientFirst();
        String second = ScramClientExchange.forPassword("pw").clientFirst();
        String nonce = first.substring("n,,n=,r=".length());

        assertEquals(18, Base64.getDecoder().decode(nonce).length);
        assertFalse(first.equals(second));

        String serverFirst = new ScramServerExchange(ScramSecret.fromPassword("pw")).serverFirst(first);
        String combined = serverFirst.substring(2, serverFirst.indexOf(','));
        assertEquals(18, Base64.getDecoder().decode(combined.substring(nonce.length())).length);
    }

    @Test
    void wrongPasswordFails() throws ScramException {
        ScramServerExchange server = new ScramServerExchange(ScramSecret.fromPassword("right"));
        ScramClientExchange client = ScramClientExchange.forPassword("wrong");
        String clientFinal = client.clientFinal(server.serverFirst(client.clientFirst()));

        ScramException e = assertThrows(ScramException.class, () -> server.serverFinal(clientFinal));
        assertEquals("password authentication failed", e.getMessage());
        assertEquals(ScramException.INVALID_PASSWORD, e.sqlState());
        assertFalse(server.isAuthenticated());
        assertThrows(IllegalStateException.class, server::clientKey);
    }

    @Test
    void passThroughReusesRecoveredClientKey() throws ScramException {
        ScramSecret secret = ScramSecret.fromPassword("pass-through pw");

        // The pooler verifies its client and keeps the ClientKey.
        ScramServerExchange poolerAsServer = new ScramServerExchange(secret);
        ScramClientExchange realClient = ScramClientExchange.forPassword("pass-through pw");
        realClient.verifyServerFinal(poolerAsServer.serverFinal(
                realClient.clientFinal(poolerAsServer.serverFirst(realClient.clientFirst()))));
        byte[] clientKey = poolerAsServer.clientKey();
        byte[] saltedPassword = ScramCrypto.saltedPassword("pass-through pw", secret.salt(), secret.iterations());
        assertArrayEquals(ScramCrypto.clientKey(saltedPassword), clientKey);

        // It then logs into PostgreSQL (same secret) without knowing the password.
        ScramServerExchange postgres = new ScramServerExchange(secret);
        ScramClientExchange poolerAsClient = ScramClientExchange.forKeys(clientKey, secret.serverKey());
        String serverFinal = postgres.serverFinal(poolerAsClient.clientFinal(postgres.serverFirst(
                poolerAsClient.clientFirst())));
        assertDoesNotThrow(() -> poolerAsClient.verifyServerFinal(serverFinal));
        assertTrue(postgres.isAuthenticated());
    }

    @Test
    void passThroughWithKeysOfAnotherSecretFails() throws ScramException {
        ScramSecret stored = ScramSecret.fromPassword("pw");
        ScramSecret other = ScramSecret.fromPassword("pw"); // same password, different salt
        byte[] otherClientKey = ScramCrypto.clientKey(
                ScramCrypto.saltedPassword("pw", other.salt(), other.iterations()));

        ScramServerExchange postgres = new ScramServerExchange(stored);
        ScramClientExchange client = ScramClientExchange.forKeys(otherClientKey, other.serverKey());
        String clientFinal = client.clientFinal(postgres.serverFirst(client.clientFirst()));

        assertThrows(ScramException.class, () -> postgres.serverFinal(clientFinal));
    }

    @Test
    void clientWithYFlagIsAcceptedAndMustEchoIt() throws ScramException {
        ScramSecret secret = ScramSecret.fromPassword("pw", new byte[] {1, 2, 3}, 1);
        String clientFirstBare = "n=,r=abcdef";

        ScramServerExchange server = new ScramServerExchange(secret, "XYZ");
        String serverFirst = server.serverFirst("y,," + clientFirstBare);
        String good = clientFinal(secret, "pw", clientFirstBare, serverFirst, "eSws");
        assertTrue(server.serverFinal(good).startsWith("v="));

        ScramServerExchange strict = new ScramServerExchange(secret, "XYZ");
        String serverFirst2 = strict.serverFirst("y,," + clientFirstBare);
        String wrongEcho = clientFinal(secret, "pw", clientFirstBare, serverFirst2, "biws");
        ScramException e = assertThrows(ScramException.class, () -> strict.serverFinal(wrongEcho));
        assertEquals(ScramException.PROTOCOL_VIOLATION, e.sqlState());
    }

    @Test
    void serverRefusesChannelBindingAuthzidAndExtensions() {
        ScramSecret secret = ScramSecret.fromPassword("pw");
        assertRefused(secret, "p=tls-server-end-point,,n=,r=abc", ScramException.PROTOCOL_VIOLATION);
        assertRefused(secret, "n,a=admin,n=,r=abc", ScramException.FEATURE_NOT_SUPPORTED);
        assertRefused(secret, "n,,m=ext,n=,r=abc", ScramException.FEATURE_NOT_SUPPORTED);
        assertRefused(secret, "x,,n=,r=abc", ScramException.PROTOCOL_VIOLATION);
        assertRefused(secret, "n,,n=", ScramException.PROTOCOL_VIOLATION);
        assertRefused(secret, "n,,n=,r=", ScramException.PROTOCOL_VIOLATION);
        assertRefused(secret, "n,,r=abc,n=", ScramException.PROTOCOL_VIOLATION);
        assertRefused(secret, "", ScramException.PROTOCOL_VIOLATION);
    }

    @Test
    void serverIgnoresUserNameAndOptionalExtensions() throws ScramException {
        ScramServerExchange server = new ScramServerExchange(ScramSecret.fromPassword("pw"), "S");
        assertTrue(server.serverFirst("n,,n=someone=2Celse,r=abc,x=ext").startsWith("r=abcS,"));
    }

    @Test
    void serverRejectsTamperedClientFinal() throws ScramException {
        ScramSecret secret = ScramSecret.fromPassword("pw");
        String[] tampered = {
            "c=biws,r=WRONGNONCE,p=%s",
            "c=eSws,r=%s,p=%s",
            "c=biws,r=%s",
            "c=biws,r=%s,p=not*base64",
            "c=biws,r=%s,p=AAAA",
        };
        for (String template : tampered) {
            ScramServerExchange server = new ScramServerExchange(secret, "S");
            ScramClientExchange client = ScramClientExchange.forPassword("pw", "", "abc");
            String real = client.clientFinal(server.serverFirst(client.clientFirst()));
            String proof = real.substring(real.indexOf(",p=") + 3);
            String message = template.startsWith("c=biws,r=WRONG")
                    ? String.format(template, proof)
                    : String.format(template, "abcS", proof);
            ScramException e = assertThrows(ScramException.class, () -> server.serverFinal(message), message);
            assertEquals(ScramException.PROTOCOL_VIOLATION, e.sqlState(), message);
        }
    }

    @Test
    void serverAcceptsExtensionsBeforeProof() throws ScramException {
        ScramSecret secret = ScramSecret.fromPassword("pw", new byte[] {7}, 2);
        ScramServerExchange server = new ScramServerExchange(secret, "S");
        String serverFirst = server.serverFirst("n,,n=,r=abc");
        String withoutProof = "c=biws,r=abcS,x=ext";
        String authMessage = "n=,r=abc," + serverFirst + "," + withoutProof;
        assertTrue(server.serverFinal(withoutProof + ",p=" + proof(secret, "pw", authMessage)).startsWith("v="));
    }

    @Test
    void clientRejectsBadServerFirst() {
        assertClientRefuses("r=someoneelse,s=AQID,i=4096");
        assertClientRefuses("r=abc,s=AQID,i=4096"); // the server added nothing to our nonce
        assertClientRefuses("r=abcS,s=AQID,i=0");
        assertClientRefuses("r=abcS,s=AQID,i=-1");
        assertClientRefuses("r=abcS,s=AQID,i=many");
        assertClientRefuses("r=abcS,s=AQID,i=99999999999");
        assertClientRefuses("r=abcS,s=not*base64,i=4096");
        assertClientRefuses("r=abcS,s=,i=4096");
        assertClientRefuses("r=abcS,i=4096,s=AQID");
        assertClientRefuses("m=ext,r=abcS,s=AQID,i=4096");
        assertClientRefuses("r=abcS,s=AQID");
    }

    @Test
    void clientReportsServerErrorAndBadSignature() throws ScramException {
        ScramClientExchange failing = ScramClientExchange.forPassword("pw", "", "abc");
        failing.clientFirst();
        failing.clientFinal("r=abcS,s=AQID,i=1");
        ScramException e = assertThrows(ScramException.class, () -> failing.verifyServerFinal("e=invalid-proof"));
        assertTrue(e.getMessage().contains("invalid-proof"), e.getMessage());

        ScramClientExchange fooled = ScramClientExchange.forPassword("pw", "", "abc");
        fooled.clientFirst();
        fooled.clientFinal("r=abcS,s=AQID,i=1");
        String forged = "v=" + Base64.getEncoder().encodeToString(new byte[32]);
        assertThrows(ScramException.class, () -> fooled.verifyServerFinal(forged));
        assertFalse(fooled.isComplete());
    }

    @Test
    void exchangesAreSingleUse() throws ScramException {
        ScramServerExchange server = new ScramServerExchange(ScramSecret.fromPassword("pw"));
        ScramClientExchange client = ScramClientExchange.forPassword("pw");
        String clientFirst = client.clientFirst();
        assertThrows(IllegalStateException.class, () -> server.serverFinal("c=biws,r=x,p=x"));
        server.serverFirst(clientFirst);
        assertThrows(IllegalStateException.class, () -> server.serverFirst(clientFirst));
        assertThrows(IllegalStateException.class, client::clientFirst);
        assertThrows(IllegalStateException.class, () -> client.verifyServerFinal("v=x"));
    }

    @Test
    void forKeysChecksKeyLength() {
        assertThrows(IllegalArgumentException.class, () -> ScramClientExchange.forKeys(new byte[31], new byte[32]));
        assertThrows(IllegalArgumentException.class, () -> ScramClientExchange.forKeys(new byte[32], new byte[0]));
    }

    private static void assertRefused(ScramSecret secret, String clientFirst, String sqlState) {
        ScramServerExchange server = new ScramServerExchange(secret);
        ScramException e = assertThrows(ScramException.class, () -> server.serverFirst(clientFirst), clientFirst);
        assertEquals(sqlState, e.sqlState(), clientFirst);
    }

    private static void assertClientRefuses(String serverFirst) {
        ScramClientExchange client = ScramClientExchange.forPassword("pw", "", "abc");
        client.clientFirst();
        assertThrows(ScramException.class, () -> client.clientFinal(serverFirst), serverFirst);
    }

    /** A client-final-message built by hand, to send what our own client never would. */
    private static String clientFinal(ScramSecret secret, String password, String clientFirstBare,
                                      String serverFirst, String channelBinding) {
        String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
        String withoutProof = "c=" + channelBinding + ",r=" + nonce;
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        return withoutProof + ",p=" + proof(secret, password, authMessage);
    }

    private static String proof(ScramSecret secret, String password, String authMessage) {
        byte[] clientKey = ScramCrypto.clientKey(
                ScramCrypto.saltedPassword(password, secret.salt(), secret.iterations()));
        byte[] signature = ScramCrypto.hmac(ScramCrypto.sha256(clientKey), authMessage);
        return Base64.getEncoder().encodeToString(ScramCrypto.xor(clientKey, signature));
    }
}

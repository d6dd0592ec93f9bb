package dev.poolctl.pooler.auth;

import java.security.MessageDigest;
import java.util.Objects;

/**
 * The client side of one SCRAM-SHA-256 exchange: the pooler logging into PostgreSQL.
 *
 * <p>Use once: {@link #clientFirst()} goes into SASLInitialResponse, {@link #clientFinal} answers
 * AuthenticationSASLContinue, {@link #verifyServerFinal} checks AuthenticationSASLFinal. Any failure ends the
 * exchange.
 *
 * <p>Two ways to hold the credentials: a password ({@link #forPassword}), hashed with the salt and iteration count
 * the server sends; or ClientKey and ServerKey ({@link #forKeys}) for SCRAM pass-through, where PgBouncer reuses
 * the keys recovered from its client's exchange. Keys are only right if the server's salt and iterations equal
 * those of the secret they came from; the caller checks that (the server's values are not needed to compute the
 * proof, so this class cannot tell). Not thread-safe.
 */
public final class ScramClientExchange {
    private enum State { INITIAL, FIRST_SENT, FINAL_SENT, DONE, FAILED }

    private static final String GS2_HEADER = "n,,";
    /** base64("n,,"): we never use channel binding. */
    private static final String CHANNEL_BINDING = "biws";

    private final String password;
    private final byte[] fixedClientKey;
    private final byte[] fixedServerKey;
    private final String user;
    private final String clientNonce;

    private State state = State.INITIAL;
    private String clientFirstBare;
    private byte[] expectedServerSignature;

    private ScramClientExchange(String password, byte[] clientKey, byte[] serverKey, String user, String clientNonce) {
        this.password = password;
        this.fixedClientKey = clientKey;
        this.fixedServerKey = serverKey;
        this.user = Objects.requireNonNull(user, "user");
        this.clientNonce = Objects.requireNonNull(clientNonce, "clientNonce");
        if (!ScramCrypto.isValidNonce(clientNonce)) {
            throw new IllegalArgumentException("invalid nonce");
        }
    }

    /** An exchange proving knowledge of {@code password} (SASLprep is applied as PostgreSQL does). */
    public static ScramClientExchange forPassword(String password) {
        return new ScramClientExchange(Objects.requireNonNull(password, "password"), null, null, "",
                ScramCrypto.newNonce());
    }

    /** SCRAM pass-through: an exchange using ClientKey and ServerKey directly instead of a password. */
    public static ScramClientExchange forKeys(byte[] clientKey, byte[] serverKey) {
        checkKey(clientKey, "clientKey");
        checkKey(serverKey, "serverKey");
        return new ScramClientExchange(null, clientKey.clone(), serverKey.clone(), "", ScramCrypto.newNonce());
    }

    /** Test hook: a password exchange with a fixed user name and nonce, to replay RFC 7677's example. */
    static ScramClientExchange forPassword(String password, String user, String clientNonce) {
        return new ScramClientExchange(Objects.requireNonNull(password, "password"), null, null, user, clientNonce);
    }

    /**
     * The client-first-message, {@code n,,n=,r=<nonce>}. The user name is left empty as libpq does: PostgreSQL
     * takes the user from the StartupMessage and ignores this one.
     */
    public String clientFirst() {
        expectState(State.INITIAL);
        clientFirstBare = "n=" + saslName(user) + ",r=" + clientNonce;
        state = State.FIRST_SENT;
        return GS2_HEADER + clientFirstBare;
    }

    /** Reads the server-first-message and returns the client-final-message {@code c=biws,r=...,p=<proof>}. */
    public String clientFinal(String serverFirst) throws ScramException {
        expectState(State.FIRST_SENT);
        state = State.FAILED; // until this step succeeds
        String[] attrs = ScramCrypto.attributes(serverFirst);
        if (attrs[0].startsWith("m=")) {
            throw new ScramException(ScramException.FEATURE_NOT_SUPPORTED,
                    "server requires an unsupported SCRAM extension");
        }
        if (attrs.length < 3) {
            throw new ScramException("malformed SCRAM message: server-first-message is incomplete");
        }
        String nonce = ScramCrypto.value(attrs[0], 'r', "server-first-message");
        // The server must extend our nonce; otherwise it could replay an old exchange.
        if (!nonce.startsWith(clientNonce) || nonce.length() == clientNonce.length()
                || !ScramCrypto.isValidNonce(nonce)) {
            throw new ScramException("invalid SCRAM response (nonce mismatch)");
        }
        byte[] salt = ScramCrypto.decodeBase64(ScramCrypto.value(attrs[1], 's', "server-first-message"), "salt");
        if (salt.length == 0) {
            throw new ScramException("malformed SCRAM message: empty salt");
        }
        int iterations = parseIterations(ScramCrypto.value(attrs[2], 'i', "server-first-message"));
        // Further attributes are optional extensions, which RFC 5802 tells us to ignore.

        byte[] clientKey;
        byte[] serverKey;
        if (password != null) {
            byte[] saltedPassword = ScramCrypto.saltedPassword(password, salt, iterations);
            clientKey = ScramCrypto.clientKey(saltedPassword);
            serverKey = ScramCrypto.serverKey(saltedPassword);
        } else {
            clientKey = fixedClientKey;
            serverKey = fixedServerKey;
        }

        String withoutProof = "c=" + CHANNEL_BINDING + ",r=" + nonce;
        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] storedKey = ScramCrypto.sha256(clientKey);
        byte[] proof = ScramCrypto.xor(clientKey, ScramCrypto.hmac(storedKey, authMessage));
        expectedServerSignature = ScramCrypto.hmac(serverKey, authMessage);
        state = State.FINAL_SENT;
        return withoutProof + ",p=" + ScramCrypto.base64(proof);
    }

    /**
     * Checks the server-final-message: {@code v=<ServerSignature>} must match, proving the server knows the secret;
     * {@code e=<error>} fails with the server's error.
     */
    public void verifyServerFinal(String serverFinal) throws ScramException {
        expectState(State.FINAL_SENT);
        state = State.FAILED;
        String[] attrs = ScramCrypto.attributes(serverFinal);
        if (attrs[0].startsWith("e=")) {
            throw new ScramException(ScramException.INVALID_PASSWORD,
                    "SCRAM authentication failed: server error " + attrs[0].substring(2));
        }
        byte[] signature = ScramCrypto.decodeBase64(
                ScramCrypto.value(attrs[0], 'v', "server-final-message"), "server signature");
        if (!MessageDigest.isEqual(signature, expectedServerSignature)) {
            throw new ScramException(ScramException.INVALID_PASSWORD, "incorrect server signature");
        }
        state = State.DONE;
    }

    /** Whether the server's signature was verified. */
    public boolean isComplete() {
        return state == State.DONE;
    }

    private static int parseIterations(String text) throws ScramException {
        // Digits only and at most 9 of them: a sign or an int overflow is a malformed message, not a count.
        if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new ScramException("malformed SCRAM message: invalid iteration count");
        }
        int iterations = Integer.parseInt(text);
        if (iterations < 1) {
            throw new ScramException("malformed SCRAM message: invalid iteration count");
        }
        return iterations;
    }

    /** RFC 5802 saslname: ',' and '=' are escaped. */
    private static String saslName(String name) {
        return name.replace("=", "=3D").replace(",", "=2C");
    }

    private static void checkKey(byte[] key, String name) {
        Objects.requireNonNull(key, name);
        if (key.length != ScramCrypto.KEY_LENGTH) {
            throw new IllegalArgumentException(name + " must be " + ScramCrypto.KEY_LENGTH + " bytes");
        }
    }

    private void expectState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("SCRAM exchange is in state " + state + ", expected " + expected);
        }
    }
}

package dev.poolctl.pooler.auth;

import java.security.MessageDigest;
import java.util.Objects;

/**
 * The server side of one SCRAM-SHA-256 exchange: the pooler verifying a connecting client against a stored secret.
 *
 * <p>Use once: {@link #serverFirst} with the client-first-message (the SASLInitialResponse data), then
 * {@link #serverFinal} with the client-final-message (SASLResponse data); its result goes into
 * AuthenticationSASLFinal. After success {@link #clientKey()} holds the client's ClientKey, which SCRAM pass-through
 * reuses to log into PostgreSQL. Any failure ends the exchange.
 *
 * <p>As in PostgreSQL, the user name in the client-first-message is ignored (libpq sends {@code n=}); the user is
 * the one from the StartupMessage. Channel binding: we only advertise {@code SCRAM-SHA-256}, so a client may say
 * {@code n} (does not support it) or {@code y} (supports it, but we did not offer it); {@code p=...} is refused.
 * Not thread-safe; a connection's exchange runs on its own event loop.
 */
public final class ScramServerExchange {
    private enum State { INITIAL, FIRST_SENT, DONE, FAILED }

    private final ScramSecret secret;
    private final String serverNonce;

    private State state = State.INITIAL;
    private char channelBindingFlag;
    private String clientFirstBare;
    private String serverFirst;
    private String nonce;
    private byte[] clientKey;

    /**
     * An exchange checking against {@code secret}. For a plain-text password the caller builds the secret with
     * {@link ScramSecret#fromPassword(String)} (random salt, 4096 iterations), as PgBouncer does.
     */
    public ScramServerExchange(ScramSecret secret) {
        this(secret, ScramCrypto.newNonce());
    }

    /** Test hook: a fixed server nonce, to replay RFC 7677's example. */
    ScramServerExchange(ScramSecret secret, String serverNonce) {
        this.secret = Objects.requireNonNull(secret, "secret");
        this.serverNonce = Objects.requireNonNull(serverNonce, "serverNonce");
    }

    /** Reads the client-first-message and returns the server-first-message {@code r=...,s=...,i=...}. */
    public String serverFirst(String clientFirstMessage) throws ScramException {
        expectState(State.INITIAL);
        state = State.FAILED; // until this step succeeds
        String bare = parseGs2Header(clientFirstMessage);
        String[] attrs = ScramCrypto.attributes(bare);
        if (attrs[0].startsWith("m=")) {
            throw new ScramException(ScramException.FEATURE_NOT_SUPPORTED,
                    "client requires an unsupported SCRAM extension");
        }
        if (attrs.length < 2) {
            throw new ScramException("malformed SCRAM message: client-first-message is incomplete");
        }
        ScramCrypto.value(attrs[0], 'n', "client-first-message"); // the user name; PostgreSQL ignores it too
        String clientNonce = ScramCrypto.value(attrs[1], 'r', "client-first-message");
        if (!ScramCrypto.isValidNonce(clientNonce)) {
            throw new ScramException("malformed SCRAM message: invalid client nonce");
        }
        // Further attributes are optional extensions, which RFC 5802 tells us to ignore.

        clientFirstBare = bare;
        nonce = clientNonce + serverNonce;
        serverFirst = "r=" + nonce + ",s=" + ScramCrypto.base64(secret.salt()) + ",i=" + secret.iterations();
        state = State.FIRST_SENT;
        return serverFirst;
    }

    /**
     * Checks the client-final-message (channel-binding echo, nonce, proof) and returns the server-final-message
     * {@code v=<ServerSignature>}.
     *
     * @throws ScramException with message {@code password authentication failed} ({@link ScramException#INVALID_PASSWORD})
     *     if the proof is wrong, or a protocol violation if the message is malformed
     */
    public String serverFinal(String clientFinalMessage) throws ScramException {
        expectState(State.FIRST_SENT);
        state = State.FAILED;
        String[] attrs = ScramCrypto.attributes(clientFinalMessage);
        if (attrs.length < 3) {
            throw new ScramException("malformed SCRAM message: client-final-message is incomplete");
        }
        String channelBinding = ScramCrypto.value(attrs[0], 'c', "client-final-message");
        // Without channel binding the client must echo its own gs2 header: "n,," is "biws", "y,," is "eSws".
        String expectedBinding = channelBindingFlag == 'y' ? "eSws" : "biws";
        if (!channelBinding.equals(expectedBinding)) {
            throw new ScramException("unexpected SCRAM channel-binding attribute in client-final-message");
        }
        String finalNonce = ScramCrypto.value(attrs[1], 'r', "client-final-message");
        if (!finalNonce.equals(nonce)) {
            throw new ScramException("SCRAM nonce mismatch");
        }
        // The proof is the last attribute; anything between the nonce and it is an extension we ignore.
        String proofText = ScramCrypto.value(attrs[attrs.length - 1], 'p', "client-final-message");
        byte[] proof = ScramCrypto.decodeBase64(proofText, "client proof");
        if (proof.length != ScramCrypto.KEY_LENGTH) {
            throw new ScramException("malformed SCRAM message: client proof has the wrong length");
        }
        String withoutProof = clientFinalMessage.substring(0, clientFinalMessage.length() - proofText.length() - 3);

        String authMessage = clientFirstBare + "," + serverFirst + "," + withoutProof;
        byte[] storedKey = secret.storedKey();
        byte[] clientSignature = ScramCrypto.hmac(storedKey, authMessage);
        byte[] recoveredClientKey = ScramCrypto.xor(proof, clientSignature);
        if (!MessageDigest.isEqual(ScramCrypto.sha256(recoveredClientKey), storedKey)) {
            throw new ScramException(ScramException.INVALID_PASSWORD, "password authentication failed");
        }
        clientKey = recoveredClientKey;
        state = State.DONE;
        return "v=" + ScramCrypto.base64(ScramCrypto.hmac(secret.serverKey(), authMessage));
    }

    /** Whether {@link #serverFinal} accepted the client's proof. */
    public boolean isAuthenticated() {
        return state == State.DONE;
    }

    /**
     * The client's ClientKey (ClientProof XOR ClientSignature), for SCRAM pass-through with
     * {@link ScramClientExchange#forKeys}; only after a successful {@link #serverFinal}.
     */
    public byte[] clientKey() {
        if (state != State.DONE) {
            throw new IllegalStateException("SCRAM exchange has not succeeded");
        }
        return clientKey.clone();
    }

    /** The secret this exchange checks against; pass-through needs its ServerKey. */
    public ScramSecret secret() {
        return secret;
    }

    /** Checks the gs2 header and returns what follows it, the client-first-message-bare. */
    private String parseGs2Header(String message) throws ScramException {
        if (message.isEmpty()) {
            throw new ScramException("malformed SCRAM message: empty client-first-message");
        }
        char flag = message.charAt(0);
        switch (flag) {
            case 'n', 'y' -> channelBindingFlag = flag;
            case 'p' -> throw new ScramException("malformed SCRAM message: the client selected SCRAM-SHA-256 without"
                    + " channel binding, but the SCRAM message includes channel binding data");
            default -> throw new ScramException("malformed SCRAM message: unexpected channel-binding flag");
        }
        if (message.length() < 2 || message.charAt(1) != ',') {
            throw new ScramException("malformed SCRAM message: comma expected after channel-binding flag");
        }
        if (message.startsWith("a=", 2)) {
            throw new ScramException(ScramException.FEATURE_NOT_SUPPORTED,
                    "client uses authorization identity, but it is not supported");
        }
        if (message.length() < 3 || message.charAt(2) != ',') {
            throw new ScramException("malformed SCRAM message: unexpected attribute in client-first-message");
        }
        return message.substring(3);
    }

    private void expectState(State expected) {
        if (state != expected) {
            throw new IllegalStateException("SCRAM exchange is in state " + state + ", expected " + expected);
        }
    }
}

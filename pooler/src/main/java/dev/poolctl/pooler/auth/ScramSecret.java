package dev.poolctl.pooler.auth;

import java.util.Arrays;
import java.util.Optional;

/**
 * A SCRAM-SHA-256 verifier as PostgreSQL stores it in {@code pg_authid.rolpassword} and PgBouncer reads it from
 * auth_file: {@code SCRAM-SHA-256$<iterations>:<base64 salt>$<base64 StoredKey>:<base64 ServerKey>}.
 *
 * <p>Arrays are copied in and out, so an instance is a value: equal content means equal secrets, which is what
 * SCRAM pass-through compares.
 */
public record ScramSecret(int iterations, byte[] salt, byte[] storedKey, byte[] serverKey) {
    /** PostgreSQL's and PgBouncer's default {@code scram_iterations}. */
    public static final int DEFAULT_ITERATIONS = 4096;
    /** Salt length PostgreSQL uses when it hashes a password. */
    public static final int DEFAULT_SALT_LENGTH = 16;

    private static final String PREFIX = ScramCrypto.MECHANISM + "$";

    public ScramSecret {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be at least 1, got " + iterations);
        }
        if (salt.length == 0) {
            throw new IllegalArgumentException("salt must not be empty");
        }
        if (storedKey.length != ScramCrypto.KEY_LENGTH || serverKey.length != ScramCrypto.KEY_LENGTH) {
            throw new IllegalArgumentException("StoredKey and ServerKey must be " + ScramCrypto.KEY_LENGTH + " bytes");
        }
        salt = salt.clone();
        storedKey = storedKey.clone();
        serverKey = serverKey.clone();
    }

    /**
     * Parses PostgreSQL's text form; empty if the value is not a well-formed SCRAM-SHA-256 secret (PgBouncer then
     * treats it as a plain password, and so does {@link Secret#of}).
     */
    public static Optional<ScramSecret> parse(String value) {
        if (value == null || !value.startsWith(PREFIX)) {
            return Optional.empty();
        }
        String[] halves = value.substring(PREFIX.length()).split("\\$", -1);
        if (halves.length != 2) {
            return Optional.empty();
        }
        String[] iterationsAndSalt = halves[0].split(":", -1);
        String[] keys = halves[1].split(":", -1);
        if (iterationsAndSalt.length != 2 || keys.length != 2) {
            return Optional.empty();
        }
        try {
            int iterations = parseIterations(iterationsAndSalt[0]);
            byte[] salt = ScramCrypto.decodeBase64(iterationsAndSalt[1], "salt");
            byte[] storedKey = ScramCrypto.decodeBase64(keys[0], "StoredKey");
            byte[] serverKey = ScramCrypto.decodeBase64(keys[1], "ServerKey");
            return Optional.of(new ScramSecret(iterations, salt, storedKey, serverKey));
        } catch (ScramException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The secret PostgreSQL would store for this password, salt and iteration count. */
    public static ScramSecret fromPassword(String password, byte[] salt, int iterations) {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be at least 1, got " + iterations);
        }
        byte[] saltedPassword = ScramCrypto.saltedPassword(password, salt, iterations);
        byte[] clientKey = ScramCrypto.clientKey(saltedPassword);
        return new ScramSecret(iterations, salt, ScramCrypto.sha256(clientKey), ScramCrypto.serverKey(saltedPassword));
    }

    /** {@link #fromPassword(String, byte[], int)} with a fresh random 16-byte salt and 4096 iterations. */
    public static ScramSecret fromPassword(String password) {
        return fromPassword(password, ScramCrypto.randomBytes(DEFAULT_SALT_LENGTH), DEFAULT_ITERATIONS);
    }

    /** PostgreSQL's text form, the inverse of {@link #parse}. */
    public String encode() {
        return PREFIX + iterations + ":" + ScramCrypto.base64(salt) + "$"
                + ScramCrypto.base64(storedKey) + ":" + ScramCrypto.base64(serverKey);
    }

    @Override
    public byte[] salt() {
        return salt.clone();
    }

    @Override
    public byte[] storedKey() {
        return storedKey.clone();
    }

    @Override
    public byte[] serverKey() {
        return serverKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScramSecret other
                && iterations == other.iterations
                && Arrays.equals(salt, other.salt)
                && Arrays.equals(storedKey, other.storedKey)
                && Arrays.equals(serverKey, other.serverKey);
    }

    @Override
    public int hashCode() {
        int h = Integer.hashCode(iterations);
        h = 31 * h + Arrays.hashCode(salt);
        h = 31 * h + Arrays.hashCode(storedKey);
        return 31 * h + Arrays.hashCode(serverKey);
    }

    /** Keys are left out: with StoredKey and ServerKey one can impersonate the server, so they stay out of logs. */
    @Override
    public String toString() {
        return "ScramSecret[iterations=" + iterations + ", salt=" + ScramCrypto.base64(salt) + ", keys=<hidden>]";
    }

    private static int parseIterations(String text) {
        // Digits only: Integer.parseInt would also take a sign, which PostgreSQL's secrets never have.
        if (text.isEmpty() || text.length() > 9 || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException("bad iteration count");
        }
        return Integer.parseInt(text);
    }
}

package dev.poolctl.pooler.auth;

import java.security.MessageDigest;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps SCRAM key derivations (4096 HMAC rounds each) off the per-login path, as PgBouncer caches them per user.
 *
 * <ul>
 *   <li>A plain-text auth_file password used for SCRAM gets one secret, derived once with a stable random salt and
 *       reused while the password stays the same: a reload that changes it derives a new one on the next login.
 *   <li>A cleartext password checked against a SCRAM secret (auth_type=plain) costs a derivation per attempt; the
 *       last success per secret is remembered as a keyed digest of the password, so a client logging in again
 *       with the same password is checked without deriving.
 *   <li>An unknown user's mock exchange ({@link #mockSecret}) derives nothing: its salt is a keyed hash of the
 *       name (stable per name, as PgBouncer's {@code scram_mock_salt}) and its keys are random, so it always fails
 *       in about the time a real exchange with cached keys takes.
 * </ul>
 *
 * <p>One cache per JVM: every entry is a pure function of (user, password) or (secret, password), so daemons in
 * one JVM (tests) may share it. Bounded: when it holds {@link #MAX_ENTRIES} it starts over. Thread-safe.
 */
public final class ScramKeyCache {
    /** More than any auth_file has users; past it, entries of removed users are dropped by starting over. */
    static final int MAX_ENTRIES = 10_000;
    /** Random per process, so mock salts and password digests cannot be precomputed elsewhere. */
    private static final byte[] INSTANCE_KEY = ScramCrypto.randomBytes(32);

    private record Derived(String password, ScramSecret secret) {}

    private static final Map<String, Derived> BY_USER = new ConcurrentHashMap<>();
    private static final Map<ScramSecret, byte[]> VERIFIED = new ConcurrentHashMap<>();

    private ScramKeyCache() {}

    /** Whether {@link #forPlainPassword} has this password's secret ready (no derivation needed). */
    public static boolean hasPlainPassword(String user, String password, int iterations) {
        Derived d = BY_USER.get(user);
        return d != null && d.password().equals(password) && d.secret().iterations() == iterations;
    }

    /** Whether {@link #verifyPlain} would answer true at once, from the last success. */
    public static boolean isVerifiedPlain(ScramSecret secret, String password) {
        byte[] known = VERIFIED.get(secret);
        return known != null && MessageDigest.isEqual(known, digest("plain", password));
    }

    /**
     * The SCRAM secret for {@code user}'s plain-text auth_file password, derived at most once per password and
     * scram_iterations value.
     */
    public static ScramSecret forPlainPassword(String user, String password, int iterations) {
        Derived d = BY_USER.get(user);
        if (d != null && d.password().equals(password) && d.secret().iterations() == iterations) {
            return d.secret();
        }
        ScramSecret secret = ScramSecret.fromPassword(password,
                ScramCrypto.randomBytes(ScramSecret.DEFAULT_SALT_LENGTH), iterations);
        bound(BY_USER);
        BY_USER.put(user, new Derived(password, secret));
        return secret;
    }

    /** Whether the cleartext {@code password} matches the SCRAM {@code secret} (auth_type=plain). */
    public static boolean verifyPlain(ScramSecret secret, String password) {
        if (isVerifiedPlain(secret, password)) {
            return true;
        }
        byte[] digest = digest("plain", password);
        ScramSecret again = ScramSecret.fromPassword(password, secret.salt(), secret.iterations());
        // PgBouncer compares the ServerKey (scram_verify_plain_password); StoredKey would do as well.
        boolean ok = MessageDigest.isEqual(again.serverKey(), secret.serverKey());
        if (ok) {
            bound(VERIFIED);
            VERIFIED.put(secret, digest);
        }
        return ok;
    }

    /**
     * A secret no password matches, for a user not in auth_file or one whose password is empty: the salt depends
     * only on the name, so asking twice shows the same salt, as for a real user.
     */
    public static ScramSecret mockSecret(String user, int iterations) {
        byte[] salt = java.util.Arrays.copyOf(digest("salt", user), ScramSecret.DEFAULT_SALT_LENGTH);
        return new ScramSecret(iterations, salt,
                ScramCrypto.randomBytes(ScramCrypto.KEY_LENGTH), ScramCrypto.randomBytes(ScramCrypto.KEY_LENGTH));
    }

    /** Number of cached derivations (tests). */
    static int size() {
        return BY_USER.size() + VERIFIED.size();
    }

    private static byte[] digest(String purpose, String value) {
        return ScramCrypto.hmac(INSTANCE_KEY, purpose + "\0" + value);
    }

    private static void bound(Map<?, ?> map) {
        if (map.size() >= MAX_ENTRIES) {
            map.clear();
        }
    }
}

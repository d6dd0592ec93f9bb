package dev.poolctl.pooler.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** SCRAM-SHA-256 primitives (RFC 5802 section 3, RFC 7677) shared by the secret and both exchange sides. */
final class ScramCrypto {
    /** The only mechanism we advertise; no {@code -PLUS}, so clients never negotiate channel binding. */
    static final String MECHANISM = "SCRAM-SHA-256";
    /** SHA-256 output size: StoredKey, ServerKey, proofs and signatures all have it. */
    static final int KEY_LENGTH = 32;
    /** Nonce entropy in bytes, as PostgreSQL's SCRAM_RAW_NONCE_LEN. */
    static final int RAW_NONCE_LENGTH = 18;

    private static final String HMAC = "HmacSHA256";

    private ScramCrypto() {
    }

    /** SaltedPassword := Hi(Normalize(password), salt, i). */
    static byte[] saltedPassword(String password, byte[] salt, int iterations) {
        return hi(SaslPrep.prepare(password).getBytes(StandardCharsets.UTF_8), salt, iterations);
    }

    /** Hi() of RFC 5802: PBKDF2 with HMAC-SHA-256 and one output block. */
    static byte[] hi(byte[] password, byte[] salt, int iterations) {
        Mac mac = mac(password);
        mac.update(salt);
        mac.update(new byte[] {0, 0, 0, 1});
        byte[] u = mac.doFinal();
        byte[] result = u.clone();
        for (int i = 1; i < iterations; i++) {
            if ((i & 0xfff) == 0 && Thread.currentThread().isInterrupted()) {
                // A server's iteration count can be huge; a cancelled login must not go on deriving.
                throw new java.util.concurrent.CancellationException("SCRAM key derivation cancelled");
            }
            u = mac.doFinal(u);
            for (int j = 0; j < result.length; j++) {
                result[j] ^= u[j];
            }
        }
        return result;
    }

    static byte[] clientKey(byte[] saltedPassword) {
        return hmac(saltedPassword, "Client Key");
    }

    static byte[] serverKey(byte[] saltedPassword) {
        return hmac(saltedPassword, "Server Key");
    }

    static byte[] hmac(byte[] key, String data) {
        return mac(key).doFinal(data.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform must provide SHA-256", e);
        }
    }

    static byte[] xor(byte[] a, byte[] b) {
        if (a.length != b.length) {
            throw new IllegalArgumentException("length mismatch: " + a.length + " vs " + b.length);
        }
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }

    static String base64(byte[] bytes) {
        return Base64.getEncoder().encodeToString(bytes);
    }

    /** Decodes standard padded base64; {@code what} names the field in the error. */
    static byte[] decodeBase64(String value, String what) throws ScramException {
        try {
            return Base64.getDecoder().decode(value);
        } catch (IllegalArgumentException e) {
            throw new ScramException("malformed SCRAM message: invalid base64 in " + what);
        }
    }

    /** Base64 of 18 random bytes, as PostgreSQL and libpq make theirs: printable and free of commas. */
    static String newNonce() {
        return base64(randomBytes(RAW_NONCE_LENGTH));
    }

    static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        Randoms.nextBytes(bytes);
        return bytes;
    }

    /**
     * Splits a SCRAM message into its comma-separated attributes. Values never contain commas (RFC 5802 encodes
     * them as {@code =2C} in names; nonces and base64 exclude them), so a plain split is exact.
     */
    static String[] attributes(String message) {
        return message.split(",", -1);
    }

    /** The value of {@code attribute} if it has the form {@code name=value}, else a malformed-message error. */
    static String value(String attribute, char name, String what) throws ScramException {
        if (attribute.length() < 2 || attribute.charAt(0) != name || attribute.charAt(1) != '=') {
            throw new ScramException("malformed SCRAM message: expected attribute \"" + name + "\" in " + what);
        }
        return attribute.substring(2);
    }

    /** RFC 5802 nonce syntax: printable ASCII except comma, at least one character. */
    static boolean isValidNonce(String nonce) {
        if (nonce.isEmpty()) {
            return false;
        }
        for (int i = 0; i < nonce.length(); i++) {
            char c = nonce.charAt(i);
            if (c < 0x21 || c > 0x7e || c == ',') {
                return false;
            }
        }
        return true;
    }

    private static Mac mac(byte[] key) {
        // HMAC zero-pads keys to its block size, so an empty key equals the one-byte key {0}; SecretKeySpec
        // refuses empty keys, and an empty password is still a (poor) password PgBouncer's auth_file can hold.
        byte[] usableKey = key.length == 0 ? new byte[1] : key;
        try {
            Mac mac = Mac.getInstance(HMAC);
            mac.init(new SecretKeySpec(usableKey, HMAC));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("every Java platform must provide " + HMAC, e);
        }
    }
}

package dev.poolctl.pooler.auth;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The random source for salts, nonces and cancel keys: a DRBG per thread, drawn 512 bytes at a time.
 *
 * <p>Why buffered: each DRBG call pays a fixed cost (two SHA-256 rounds, a BigInteger state update, a reseed
 * check) however few bytes it returns, and a login draws twice (the md5 salt, the cancel key). In a
 * new-connection-per-transaction benchmark those two calls were 8% of the event loop's CPU; one call per 512 bytes
 * costs about one SHA-256 round per 32 bytes. The bytes are the DRBG's own output; they wait in this thread's
 * memory until used, once each.
 *
 * <p>Why per thread: a DRBG serializes its callers, and every event loop draws on each login. Not the platform
 * default either: NativePRNG reads /dev/urandom under a global lock on every call.
 */
public final class Randoms {
    private static final int BUFFER_BYTES = 512;

    private static final ThreadLocal<Randoms> LOCAL = ThreadLocal.withInitial(Randoms::new);

    private final SecureRandom drbg = create();
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int next = BUFFER_BYTES; // nothing drawn yet

    private Randoms() {}

    private static SecureRandom create() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /** Fills {@code out} with random bytes. */
    public static void nextBytes(byte[] out) {
        LOCAL.get().fill(out);
    }

    /** Eight random bytes as a long. */
    public static long nextLong() {
        Randoms r = LOCAL.get();
        r.refillFor(Long.BYTES);
        long value = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            value = (value << 8) | (r.take() & 0xff);
        }
        return value;
    }

    private void fill(byte[] out) {
        if (out.length > BUFFER_BYTES) {
            drbg.nextBytes(out); // large requests (none on the login path) go straight to the DRBG
            return;
        }
        refillFor(out.length);
        for (int i = 0; i < out.length; i++) {
            out[i] = take();
        }
    }

    private void refillFor(int bytes) {
        if (BUFFER_BYTES - next < bytes) {
            drbg.nextBytes(buffer);
            next = 0;
        }
    }

    /** One byte, wiped from the buffer as it is handed out: a byte is never given twice. */
    private byte take() {
        byte b = buffer[next];
        buffer[next++] = 0;
        return b;
    }
}

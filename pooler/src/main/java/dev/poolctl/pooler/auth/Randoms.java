package dev.poolctl.pooler.auth;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * The random source for salts, nonces and cancel keys. DRBG is seeded once and then needs no system call per
 * use, unlike the platform default (NativePRNG reads /dev/urandom under a global lock on every call), which
 * showed up in a new-connection-per-transaction benchmark. One instance per thread: a DRBG serializes its
 * callers, and every event loop draws salts and cancel keys on each login.
 */
public final class Randoms {
    private Randoms() {}

    private static final ThreadLocal<SecureRandom> SECURE = ThreadLocal.withInitial(Randoms::create);

    private static SecureRandom create() {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            return new SecureRandom();
        }
    }

    /** This thread's generator: use it on the calling thread only (do not keep it in a shared field). */
    public static SecureRandom secure() {
        return SECURE.get();
    }
}

package dev.poolctl.pooler.auth;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Worker threads for SCRAM key derivation (PBKDF2: thousands of HMAC rounds, as many as a server's iteration count
 * asks). A derivation on an event loop would stop every client of that loop for its whole length, so logins hand it
 * here and continue on their loop with the result. A derivation checks for interruption, so cancelling its future
 * (the connection closed) stops it.
 */
public final class KeyDerivation {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService WORKERS = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), r -> {
                Thread t = new Thread(r, "poolctl-scram-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    private KeyDerivation() {}

    /** Runs {@code work} on a worker; {@code cancel(true)} on the result interrupts a derivation in progress. */
    public static Future<?> submit(Runnable work) {
        return WORKERS.submit(work);
    }
}

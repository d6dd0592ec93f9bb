package dev.poolctl.pooler.net;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Worker threads for the CPU-heavy part of TLS handshakes. The JDK's SSLEngine hands its handshake work (key
 * exchange, signatures, certificate path checks) out as delegated tasks; run on an event loop, each handshake
 * would stall every client of that loop for about a millisecond, and a burst of new TLS connections (a client
 * pool reconnecting, pgbench -C) for much longer. Netty's SslHandler runs them here and resumes on the loop.
 */
public final class TlsTasks {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private static final ExecutorService WORKERS = Executors.newFixedThreadPool(
            Math.max(1, Runtime.getRuntime().availableProcessors() / 2), r -> {
                Thread t = new Thread(r, "poolctl-tls-" + THREADS.incrementAndGet());
                t.setDaemon(true);
                return t;
            });

    private TlsTasks() {}

    /** Where SslHandlers run their delegated tasks. */
    public static Executor executor() {
        return WORKERS;
    }
}

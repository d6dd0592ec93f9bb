package dev.poolctl.pooler.net;

import io.netty.handler.ssl.SslContext;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The server-side TLS context when nothing in the config can make building it fail (no files, no cipher lists):
 * built the first time a PostgreSQL server answers {@code S} to the SSLRequest, on a TLS worker (never on an event
 * loop: loading the library and the trust store takes tens of milliseconds), then kept. With the default
 * {@code server_tls_sslmode = prefer} and servers that do not offer TLS, the TLS library (about 9 MB of RSS) is
 * never loaded.
 */
final class DeferredContext {
    private final Supplier<SslContext> build;
    private final AtomicReference<CompletableFuture<SslContext>> built = new AtomicReference<>();

    DeferredContext(Supplier<SslContext> build) {
        this.build = build;
    }

    /**
     * The context, started on a TLS worker by the first caller; {@code announce} (the first caller's) gets one line
     * for the log once it is built. A failed build is not kept: the next login tries again.
     */
    CompletableFuture<SslContext> get(Consumer<String> announce) {
        CompletableFuture<SslContext> f = built.get();
        if (f != null) {
            return f;
        }
        CompletableFuture<SslContext> mine = new CompletableFuture<>();
        if (!built.compareAndSet(null, mine)) {
            return built.get();
        }
        TlsTasks.executor().execute(() -> {
            try {
                SslContext context = build.get();
                announce.accept("server TLS context built on first use, tls: " + TlsContexts.libraryVersion());
                mine.complete(context);
            } catch (RuntimeException | Error e) {
                built.compareAndSet(mine, null);
                mine.completeExceptionally(e);
            }
        });
        return mine;
    }

    /** Whether the context exists (the TLS library is loaded): for the startup line and tests. */
    boolean isBuilt() {
        CompletableFuture<SslContext> f = built.get();
        return f != null && f.isDone() && !f.isCompletedExceptionally();
    }
}

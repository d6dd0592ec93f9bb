package dev.poolctl.pooler.net;

import dev.poolctl.pooler.config.TlsSettings;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * The TLS step of a server login (PgBouncer's send_sslreq_packet / handle_sslchar): sits in front of the server
 * connection, sends SSLRequest as soon as the socket is up, and holds back what the connection writes (its
 * StartupMessage) until PostgreSQL has answered: on {@code S} an {@link SslHandler} goes in front and the held
 * bytes follow once the handshake succeeded; on {@code N} they go in plain text unless the sslmode requires TLS.
 * Then it leaves the pipeline. The server connection itself never knows TLS was negotiated.
 *
 * <p>A refusal, a failed handshake or a certificate that does not verify calls {@code failed} with a message for
 * the log (and the pool's cached login error); the connection is closed by the one who is told.
 */
final class ServerTlsStarter extends ChannelDuplexHandler {
    private enum State { WAIT_ANSWER, HANDSHAKE, FAILED }

    private final TlsContexts.Side tls;
    private final String host;
    private final int port;
    private final Consumer<String> failed;
    /** The log, for the one line that says the deferred server-side context was built. */
    private final Consumer<String> announce;
    /** Writes of the connection behind, kept until the channel is encrypted or known to stay plain. */
    private final List<Object[]> held = new ArrayList<>(2);
    private State state = State.WAIT_ANSWER;

    ServerTlsStarter(TlsContexts.Side tls, String host, int port, Consumer<String> failed, Consumer<String> announce) {
        this.tls = tls;
        this.host = host;
        this.port = port;
        this.failed = failed;
        this.announce = announce;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ByteBuf request = ctx.alloc().buffer(8).writeInt(8).writeInt(PgProtocol.SSL_REQUEST_CODE);
        ctx.writeAndFlush(request);
        ctx.fireChannelActive(); // the connection writes its StartupMessage now: it is held below
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (state == State.FAILED) {
            ReferenceCountUtil.release(msg);
            promise.tryFailure(new IllegalStateException("server TLS negotiation failed"));
            return;
        }
        held.add(new Object[] {msg, promise});
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        // nothing leaves before the answer: the held writes are flushed when they are let through
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (state != State.WAIT_ANSWER) {
            ReferenceCountUtil.release(msg); // nothing may come before the handshake (SslHandler sits in front then)
            return;
        }
        ByteBuf in = (ByteBuf) msg;
        try {
            if (!in.isReadable()) {
                return;
            }
            byte answer = in.readByte();
            if (in.isReadable()) {
                // Bytes behind the answer were not encrypted and may come from a man in the middle (CVE-2021-23222).
                fail(ctx, "received unencrypted data after SSL response");
            } else if (answer == 'S') {
                startHandshake(ctx);
            } else if (answer != 'N') {
                fail(ctx, "bad sslreq answer");
            } else if (tls.settings().required()) {
                fail(ctx, "server refused SSL (server_tls_sslmode=" + tls.settings().mode() + ")");
            } else {
                letThrough(ctx); // prefer/allow: plain text, as libpq does when the server says N
            }
        } finally {
            in.release();
        }
    }

    private void startHandshake(ChannelHandlerContext ctx) {
        state = State.HANDSHAKE;
        CompletableFuture<SslContext> ready = tls.whenReady(announce);
        if (ready.isDone() && !ready.isCompletedExceptionally()) {
            startHandshake(ctx, ready.join());
            return;
        }
        // The first server to offer TLS: the context is built on a TLS worker while this login waits for it.
        ready.whenComplete((context, error) -> ctx.executor().execute(() -> {
            if (state != State.HANDSHAKE || ctx.isRemoved() || !ctx.channel().isActive()) {
                return; // closed meanwhile
            }
            if (error != null) {
                fail(ctx, "TLS setup failed: " + reason(error, tls.settings()));
            } else {
                startHandshake(ctx, context);
            }
        }));
    }

    private void startHandshake(ChannelHandlerContext ctx, SslContext context) {
        // The host gives SNI and, for verify-full, the name the certificate must carry (libpq's check).
        SslHandler ssl = context.newHandler(ctx.alloc(), host, port, TlsTasks.executor());
        ctx.pipeline().addBefore(ctx.name(), "tls", ssl);
        ssl.handshakeFuture().addListener(f -> {
            if (state != State.HANDSHAKE) {
                return;
            }
            if (f.isSuccess()) {
                letThrough(ctx);
            } else {
                fail(ctx, "TLS handshake failed: " + reason(f.cause(), tls.settings()));
            }
        });
    }

    /**
     * PgBouncer's (OpenSSL's) words first when PostgreSQL's certificate was refused, "certificate verify failed",
     * then the JDK's detail and the settings it was checked against: the log line alone tells which file to fix.
     */
    static String reason(Throwable cause, TlsSettings s) {
        Throwable root = cause;
        boolean certificate = false;
        for (Throwable t = cause; t != null; t = t.getCause() == t ? null : t.getCause()) {
            root = t;
            certificate |= t instanceof CertificateException
                    || t instanceof GeneralSecurityException && t.getClass().getName().contains("CertPath");
        }
        String top = cause.getMessage() != null ? cause.getMessage() : cause.getClass().getSimpleName();
        String inner = root.getMessage();
        if (certificate) {
            return "certificate verify failed: " + (inner != null ? inner : top) + " (server_tls_sslmode="
                    + s.mode() + ", server_tls_ca_file=" + (s.caFile() == null ? "unset: the JDK's CAs" : s.caFile())
                    + ")";
        }
        return inner == null || top.contains(inner) ? top : top + " (" + inner + ")";
    }

    /** The channel is ready (encrypted, or plain by choice): the held writes go, and this step is done. */
    private void letThrough(ChannelHandlerContext ctx) {
        for (Object[] w : held) {
            ctx.write(w[0], (ChannelPromise) w[1]);
        }
        held.clear();
        ctx.flush();
        ctx.pipeline().remove(this);
    }

    private void fail(ChannelHandlerContext ctx, String message) {
        state = State.FAILED;
        dropHeld();
        failed.accept(message);
        ctx.close();
    }

    private void dropHeld() {
        for (Object[] w : held) {
            ReferenceCountUtil.release(w[0]);
            ((ChannelPromise) w[1]).tryFailure(new IllegalStateException("server TLS negotiation failed"));
        }
        held.clear();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (state == State.HANDSHAKE) {
            return; // the handshake future reports it, with the login error; the SslHandler closes the channel
        }
        ctx.fireExceptionCaught(cause);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropHeld(); // closed before the answer came: the held StartupMessage is released, not leaked
    }
}

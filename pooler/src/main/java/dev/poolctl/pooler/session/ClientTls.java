package dev.poolctl.pooler.session;

import dev.poolctl.pooler.net.TlsContexts;
import dev.poolctl.pooler.net.TlsTasks;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandler;

/**
 * The TLS step of a client login (PgBouncer's PKT_SSLREQ handling in client.c): the SSLRequest answer, the
 * handshake, and the {@code client_tls_sslmode = require} check on the StartupMessage. TLS is never offered on the
 * unix socket, as in PgBouncer.
 */
final class ClientTls {
    private ClientTls() {}

    /**
     * Answers an SSLRequest: {@code S} and a handshake when client TLS is on (a key and certificate are configured),
     * else {@code N}. The caller has already refused bytes queued behind the request (CVE-2021-23222).
     *
     * @return an error for the client, or null when answered
     */
    static String answerSslRequest(ChannelHandlerContext ctx, TlsContexts.Side tls) {
        Channel ch = ctx.channel();
        if (ch.pipeline().get(SslHandler.class) != null) {
            return "SSL req inside SSL";
        }
        boolean accept = tls.enabled() && !TlsContexts.isUnix(ch);
        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte(accept ? 'S' : 'N'));
        if (accept) {
            // The 'S' is already past the head of the pipeline: from here on both directions are TLS.
            ch.pipeline().addFirst("tls", tls.context().newHandler(ctx.alloc(), TlsTasks.executor()));
        }
        return null;
    }

    /** The first byte of a TLS handshake record: never the start of a startup packet (its length would be ~369 MB). */
    static final byte TLS_HANDSHAKE = 0x16;

    /**
     * Direct TLS (PostgreSQL 17's {@code sslnegotiation=direct}, PgBouncer 1.25): the client sent a ClientHello
     * instead of an SSLRequest. When client TLS is on, an {@link SslHandler} goes at the head and {@code hello}
     * (the bytes read so far, owned by this call) is fed into it; as PostgreSQL, the client must then have
     * negotiated ALPN {@code postgresql}, which a plain TLS client (a port scanner, an HTTPS client) has not.
     *
     * @return false when direct TLS is not possible here ({@code hello} is then untouched)
     */
    static boolean startDirect(ChannelHandlerContext ctx, TlsContexts.Side tls, ClientConnection client,
                               java.util.function.Supplier<io.netty.buffer.ByteBuf> hello) {
        Channel ch = ctx.channel();
        if (!tls.enabled() || TlsContexts.isUnix(ch) || ch.pipeline().get(SslHandler.class) != null) {
            return false;
        }
        SslHandler ssl = tls.context().newHandler(ctx.alloc(), TlsTasks.executor());
        ssl.handshakeFuture().addListener(f -> {
            if (f.isSuccess() && !"postgresql".equals(ssl.applicationProtocol())) {
                client.fail(dev.poolctl.pooler.protocol.PgProtocol.PROTOCOL_VIOLATION,
                        "direct SSL connection without ALPN protocol postgresql");
            }
        });
        ch.pipeline().addFirst("tls", ssl);
        ch.pipeline().fireChannelRead(hello.get()); // from the head: the ClientHello goes into the SslHandler
        return true;
    }

    /** require, verify-ca, verify-full: a StartupMessage in plain text over TCP is refused ("SSL required"). */
    static boolean refusesPlain(Channel ch, TlsContexts.Side tls) {
        return tls.settings().required() && ch.pipeline().get(SslHandler.class) == null && !TlsContexts.isUnix(ch);
    }

    /** The login log line's {@code tls=}: PgBouncer's protocol/cipher, or {@code no}. */
    static String logValue(Channel ch) {
        String info = TlsContexts.describe(ch);
        return info.isEmpty() ? "no" : info;
    }
}

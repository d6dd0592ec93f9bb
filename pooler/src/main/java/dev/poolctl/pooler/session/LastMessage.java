package dev.poolctl.pooler.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.TimeUnit;

/**
 * Ends a connection with one last message (PgBouncer's disconnect_client with a reason). The message is a
 * courtesy, never a condition: a peer that does not read keeps the write pending for ever, so the connection is
 * closed when the write completes or after a short grace, whichever comes first.
 */
final class LastMessage {
    /** Long enough for a reading client to get its ErrorResponse, short enough not to hold a socket. */
    static final long GRACE_MILLIS = 1_000;

    private LastMessage() {}

    static void sendAndClose(ChannelHandlerContext ctx, ByteBuf message) {
        ctx.channel().config().setAutoRead(false);
        ChannelFuture written = ctx.writeAndFlush(message);
        written.addListener(ChannelFutureListener.CLOSE);
        if (!written.isDone()) {
            var grace = ctx.executor().schedule(() -> {
                ctx.close(); // fails and frees whatever is still queued for the peer
            }, GRACE_MILLIS, TimeUnit.MILLISECONDS);
            written.addListener(f -> grace.cancel(false));
        }
    }
}

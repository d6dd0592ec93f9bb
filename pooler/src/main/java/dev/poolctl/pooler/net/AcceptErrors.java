package dev.poolctl.pooler.net;

import dev.poolctl.pooler.log.PoolerLog;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.TimeUnit;

/**
 * A listening socket's accept errors (out of file descriptors, most often), as PgBouncer handles them: logged
 * ("accept() failed: ...") and accepting paused for a second, the other connections untouched. Without this
 * they reach Netty's own logger, which formats dates through the JDK's time zone files: with no file
 * descriptor left, loading those throws an Error that kills the event loop.
 */
@ChannelHandler.Sharable
final class AcceptErrors extends ChannelInboundHandlerAdapter {
    private static final long PAUSE_MILLIS = 1_000;
    private final PoolerLog log;

    AcceptErrors(PoolerLog log) {
        this.log = log;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!ctx.channel().config().isAutoRead()) {
            return; // paused already: one line per pause, not one per failed accept
        }
        log.warning("accept() failed: " + cause.getMessage());
        ctx.channel().config().setAutoRead(false);
        ctx.executor().schedule(() -> {
            if (ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
            }
        }, PAUSE_MILLIS, TimeUnit.MILLISECONDS);
    }
}

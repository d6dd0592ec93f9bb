package dev.poolctl.pooler.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * A server that sends its ReadyForQuery and, in the same read, a FATAL error (PostgreSQL shutting down just after
 * a transaction): the handler forwards the ReadyForQuery, then closes its own channel on the error. Transports do
 * not call channelReadComplete after such a read (io_uring did not), so the forwarded bytes must be flushed on close,
 * or the client waits for its ReadyForQuery for ever.
 */
class PeerFlushOnCloseTest {
    /** Forwards every message to {@code peer}; an ErrorResponse closes its own channel. */
    private static final class Forwarder extends PgStreamHandler {
        private final EmbeddedChannel peer;

        Forwarder(EmbeddedChannel peer) {
            this.peer = peer;
        }

        @Override protected int maxPacketSize() { return 1 << 20; }

        @Override
        protected int classify(byte type, int length) {
            return type == 'E' ? NEED_BODY : PASS;
        }

        @Override
        protected int onMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
            ctx.close();
            return DROP;
        }

        @Override
        protected void forward(ChannelHandlerContext ctx, ByteBuf run) {
            sendToPeer(ctx, peer, run);
        }

        @Override
        protected void onProtocolError(ChannelHandlerContext ctx, String message) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            releaseKept();
        }
    }

    @Test
    void whatAReadThatClosesItsChannelForwardedStillReachesThePeer() {
        EmbeddedChannel peer = new EmbeddedChannel();
        EmbeddedChannel server = new EmbeddedChannel(new Forwarder(peer));
        ByteBuf read = Unpooled.buffer();
        read.writeByte('Z').writeInt(5).writeByte('I');
        read.writeByte('E').writeInt(4 + 2).writeByte('S').writeByte(0);
        server.pipeline().fireChannelRead(read); // no channelReadComplete: the read closed the channel
        server.runPendingTasks(); // the close's channelInactive

        ByteBuf forwarded = peer.readOutbound();
        assertNotNull(forwarded, "the ReadyForQuery was flushed to the peer when the channel closed");
        assertEquals('Z', forwarded.getByte(0));
        assertEquals(6, forwarded.readableBytes());
        forwarded.release();
        assertNull(peer.readOutbound(), "the error itself is the server's, not forwarded");
        peer.finishAndReleaseAll();
        server.finishAndReleaseAll();
    }
}

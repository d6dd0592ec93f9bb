package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.ClientState;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Holding requests the pooler answers itself while the client's output is full, on an EmbeddedChannel (its output
 * backs up while unflushed). ClientOutput.reply itself is covered by SelfRepliesBackpressureIT: an EmbeddedChannel
 * drains every flush.
 */
class ClientOutputTest {
    private final ChannelHandlerContext[] ctx = new ChannelHandlerContext[1];
    private final EmbeddedChannel channel = new EmbeddedChannel(new ChannelInboundHandlerAdapter() {
        @Override
        public void handlerAdded(ChannelHandlerContext c) {
            ctx[0] = c;
        }
    });

    ClientOutputTest() {
        channel.config().setWriteBufferWaterMark(new WriteBufferWaterMark(8, 16));
    }

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    /** Fills the output over the high-water mark without flushing: the peer "does not read". */
    private void backUp() {
        channel.write(Unpooled.wrappedBuffer(new byte[32]));
        assertFalse(channel.isWritable());
    }

    @Test
    void requestsThePoolerAnswersItselfAreHeldWhileTheOutputIsFull() {
        ClientOutput output = new ClientOutput();
        assertFalse(output.mustHold(channel, ClientState.ADMIN, PgProtocol.QUERY, false), "output drained");
        backUp();
        assertTrue(output.mustHold(channel, ClientState.ADMIN, PgProtocol.QUERY, false), "console command");
        assertTrue(output.mustHold(channel, ClientState.ACTIVE, PgProtocol.CLOSE, true), "rewritten Close");
        assertTrue(output.mustHold(channel, ClientState.ACTIVE, PgProtocol.PARSE, true), "rewritten Parse");
        assertFalse(output.mustHold(channel, ClientState.ACTIVE, PgProtocol.QUERY, true),
                "a forwarded Query is paced by the server's output, not held here");
        assertFalse(output.mustHold(channel, ClientState.ACTIVE, PgProtocol.CLOSE, false),
                "no rewriting: the server answers the Close");
        assertFalse(output.release(channel), "still full: nothing to resume");
        channel.flush(); // the peer read it all
        assertTrue(channel.isWritable());
        assertTrue(output.release(channel), "drained: the held requests are scanned again");
        assertFalse(output.release(channel), "once");
    }

    @Test
    void readingResumesOnlyWhereTheClientsOwnOutputPausedIt() {
        channel.config().setAutoRead(false);
        ClientOutput.writable(channel, ClientState.ADMIN, null, true);
        assertFalse(channel.config().isAutoRead(), "SUSPEND keeps every socket unread");
        ClientOutput.writable(channel, ClientState.WAITING, null, false);
        assertFalse(channel.config().isAutoRead(), "a queued client paused for sending too much stays paused");
        ClientOutput.writable(channel, ClientState.ADMIN, null, false);
        assertTrue(channel.config().isAutoRead());
    }

    @Test
    void aRunOfSelfAnsweredRequestsYieldsTheLoopEveryTurn() {
        ClientOutput output = new ClientOutput();
        for (int round = 0; round < 2; round++) {
            for (int i = 1; i <= ClientOutput.ANSWERS_PER_TURN; i++) {
                assertFalse(output.turnUsed(ClientState.ADMIN, PgProtocol.QUERY, false), "answer " + i + " of a turn");
            }
            assertTrue(output.turnUsed(ClientState.ADMIN, PgProtocol.QUERY, false), "the turn is used up: yield");
        }
        for (int i = 0; i < 3 * ClientOutput.ANSWERS_PER_TURN; i++) {
            output.newTurn(); // a client answered once per read never has to yield
            assertFalse(output.turnUsed(ClientState.ACTIVE, PgProtocol.PARSE, true));
        }
        for (int i = 0; i < 10 * ClientOutput.ANSWERS_PER_TURN; i++) {
            assertFalse(output.turnUsed(ClientState.ACTIVE, PgProtocol.QUERY, true),
                    "forwarded requests are paced by their server, not counted");
        }
    }
}

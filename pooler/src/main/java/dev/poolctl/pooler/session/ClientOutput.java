package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.ClientState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;

/**
 * Replies the pooler makes itself (console answers, synthesized ParseComplete/CloseComplete, errors) obey the
 * same backpressure as forwarded bytes: while the client's output is over the high-water mark, the client is not
 * read, so a client that pipelines requests and never reads the answers cannot grow the heap.
 */
final class ClientOutput {
    /** The client's requests are held (the stream handler stopped) until its output drains. */
    private boolean holding;

    /**
     * Whether the request about to be handled must wait for the client's output to drain: it may be answered by the
     * pooler (a console command; a Parse or Close of a rewritten statement), and the answers of the requests of the
     * same read already fill the output. Without this, one read of small pipelined requests could still add
     * megabytes of answers. The caller then STOPs, keeping this request and the rest unread.
     */
    boolean mustHold(Channel client, ClientState state, byte type, boolean rewrites) {
        if (client.isWritable()) {
            return false;
        }
        boolean answeredHere = answeredHere(state, type, rewrites);
        holding |= answeredHere;
        return answeredHere;
    }

    private static boolean answeredHere(ClientState state, byte type, boolean rewrites) {
        return state == ClientState.ADMIN || (state == ClientState.ACTIVE && rewrites
                && (type == dev.poolctl.pooler.protocol.PgProtocol.PARSE
                        || type == dev.poolctl.pooler.protocol.PgProtocol.CLOSE));
    }

    /**
     * Requests the pooler answers itself in a row before it lets the loop's other connections have a turn: a client
     * that pipelines thousands of console commands into a socket with room for megabytes of answers would otherwise
     * keep the loop to itself until its output fills.
     */
    static final int ANSWERS_PER_TURN = 32;
    private int answeredThisTurn;

    /**
     * Counts a request the pooler answers itself; true when this one used up the turn. The caller then STOPs and
     * resumes from a task, after the loop has served the other connections' reads.
     */
    boolean turnUsed(ClientState state, byte type, boolean rewrites) {
        if (!answeredHere(state, type, rewrites) || ++answeredThisTurn <= ANSWERS_PER_TURN) {
            return false;
        }
        answeredThisTurn = 0;
        return true;
    }

    /** A read of the client is complete: the loop serves other connections before the next, so a turn starts. */
    void newTurn() {
        answeredThisTurn = 0;
    }

    /** The output drained: true when held requests are to be scanned again. */
    boolean release(Channel client) {
        if (!holding || !client.isWritable()) {
            return false;
        }
        holding = false;
        return true;
    }

    /**
     * Writes and flushes one reply; stops reading the client while its output backs up. Flushed at once (not at the
     * end of the read): the writability change then happens inside the read, where pausing and resuming is exact.
     */
    static void reply(ChannelHandlerContext ctx, ByteBuf message) {
        ctx.writeAndFlush(message, ctx.voidPromise());
        pauseIfBacklogged(ctx.channel());
    }

    private static void pauseIfBacklogged(Channel client) {
        if (!client.isWritable()) {
            client.config().setAutoRead(false);
        }
    }

    /**
     * The client's output is writable again: reading it resumes in the states where only its own output paused it
     * ({@code linkedServer}: the server it forwards to must be writable too). Not while SUSPENDed, queued (the
     * stream handler paused a client that sends too much before it has a server), logging in or failing.
     */
    static void writable(Channel client, ClientState state, ServerConnection linkedServer, boolean suspended) {
        if (suspended || !client.isWritable()) {
            return;
        }
        switch (state) {
            case ADMIN, IDLE -> client.config().setAutoRead(true);
            case ACTIVE -> client.config().setAutoRead(linkedServer == null || linkedServer.channel().isWritable());
            default -> { }
        }
    }

    /** Bytes written to a socket but not yet sent (Netty's outbound buffer): SHOW SOCKETS send_avail. */
    static long pendingBytes(Channel ch) {
        if (ch == null || ch.unsafe().outboundBuffer() == null) {
            return 0;
        }
        return ch.unsafe().outboundBuffer().totalPendingWriteBytes();
    }

    /** Turns reading on or off only when that changes it: Netty's setAutoRead is an atomic swap each time. */
    static void autoRead(Channel ch, boolean on) {
        if (ch.config().isAutoRead() != on) {
            ch.config().setAutoRead(on);
        }
    }
}

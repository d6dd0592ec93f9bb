package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Splits a stream of typed PostgreSQL messages ({@code type, int32 length, body}) without copying it.
 *
 * <p>Like PgBouncer's sbuf, it does not build a message object per message: for each message the subclass
 * {@link #classify classifies} the type byte, and only messages it must understand (ReadyForQuery,
 * ParameterStatus, login messages, ...) are handed over whole. Everything else stays in a contiguous run of
 * the read buffer that is {@link #forward forwarded} as one retained slice, so a read full of DataRows costs
 * one write. A message larger than the read buffer streams through in pieces and never has to fit in memory.
 */
public abstract class PgStreamHandler extends ChannelInboundHandlerAdapter {
    /** {@link #classify} answer: forward the message without looking at its body. */
    public static final int PASS = 0;
    /** {@link #classify} answer: hand the complete message to {@link #onMessage}. */
    public static final int NEED_BODY = 1;
    /**
     * {@link #classify} answer: stop before this message without reading its body (as {@link #STOP}); the
     * message may be of any size, nothing is buffered beyond what already arrived.
     */
    public static final int HOLD = 2;

    /** {@link #onMessage} answer: keep the message in the run that is forwarded. */
    public static final int FORWARD = 0;
    /** {@link #onMessage} answer: forward the run up to and including this message, then {@link #afterCut}. */
    public static final int FORWARD_AND_CUT = 1;
    /** {@link #onMessage} answer: the message was consumed; it is not forwarded. */
    public static final int DROP = 2;
    /** {@link #onMessage} answer: stop scanning; this message and the rest are kept for {@link #resumeScan}. */
    public static final int STOP = 3;

    private static final int HEADER = 5;
    /** What a stopped stream may buffer before its socket is paused; a waiting client sends little or nothing. */
    private static final int STOPPED_BUFFER_LIMIT = 64 * 1024;

    /** Bytes not yet scanned because they end in an incomplete message we must see whole. */
    private ByteBuf leftover;
    /** Rest of a message body that passes through unseen, possibly across many reads. */
    private long passRemaining;
    /** Set by {@link #STOP}: reads are kept, not scanned, until {@link #resumeScan}. */
    private boolean stopped;
    /**
     * Size of the incomplete message at the start of {@link #leftover} when it is an owned buffer that later
     * reads are appended to (0 otherwise): a large message we must see whole is collected in linear time and
     * scanned once, instead of being re-merged and re-scanned on every read.
     */
    private long collecting;
    /** Messages {@link #emit}ted by the current {@link #onMessage}, sent right after (or instead of) it. */
    private java.util.ArrayList<ByteBuf> emitted;

    protected abstract int maxPacketSize();

    /**
     * Called at each message header with its type and length (PostgreSQL's: type byte excluded). Exactly once
     * for a message answered {@link #PASS}; a {@link #NEED_BODY} message split across reads is classified
     * again on each read until it is whole, so that answer must have no side effects.
     */
    protected abstract int classify(byte type, int length);

    /** A complete message that {@link #classify} asked for; {@code frame} starts at the type byte, valid during the call. */
    protected abstract int onMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame);

    /** A run of whole or partial messages to pass on; the callee owns {@code run}. */
    protected abstract void forward(ChannelHandlerContext ctx, ByteBuf run);

    /** Called after the run that ended with a {@link #FORWARD_AND_CUT} message was forwarded. */
    protected void afterCut(ChannelHandlerContext ctx) {}

    /** Called after a {@link #STOP} kept the rest of the input: now {@link #resumeScan} may be called. */
    protected void afterStop(ChannelHandlerContext ctx) {}

    /** The stream is not PostgreSQL: bad length. The subclass reports it and closes. */
    protected abstract void onProtocolError(ChannelHandlerContext ctx, String message);

    /**
     * Called from {@link #onMessage}: {@code message} (owned by the callee) goes to {@link #forward} right after
     * the current message, or in its place when it is {@link #DROP}ped; several go in call order.
     */
    protected final void emit(ByteBuf message) {
        if (emitted == null) {
            emitted = new java.util.ArrayList<>(4);
        }
        emitted.add(message);
    }

    private void forwardEmitted(ChannelHandlerContext ctx) {
        if (emitted == null || emitted.isEmpty()) {
            return;
        }
        for (ByteBuf b : emitted) {
            forward(ctx, b);
        }
        emitted.clear();
    }

    private boolean hasEmitted() {
        return emitted != null && !emitted.isEmpty();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        if (stopped) {
            append(ctx, in);
            return;
        }
        if (collecting > 0) {
            leftover.writeBytes(in);
            in.release();
            if (leftover.readableBytes() < collecting) {
                return;
            }
            in = leftover;
            leftover = null;
            collecting = 0;
            scan(ctx, in);
            return;
        }
        if (leftover != null) {
            ByteBuf merged = ctx.alloc().buffer(leftover.readableBytes() + in.readableBytes());
            merged.writeBytes(leftover).writeBytes(in);
            leftover.release();
            leftover = null;
            in.release();
            in = merged;
        }
        scan(ctx, in);
    }

    /** Hands back bytes kept by a {@link #STOP}, to be scanned in the current state. */
    protected final void resumeScan(ChannelHandlerContext ctx) {
        stopped = false;
        collecting = 0;
        ByteBuf kept = leftover;
        leftover = null;
        if (kept != null) {
            scan(ctx, kept);
        }
    }

    protected final boolean hasKeptBytes() {
        return leftover != null && leftover.isReadable();
    }

    /** Scans {@code in} (owned) and releases it. */
    private void scan(ChannelHandlerContext ctx, ByteBuf in) {
        try {
            int runStart = in.readerIndex();
            while (in.isReadable()) {
                if (passRemaining > 0) {
                    int n = (int) Math.min(passRemaining, in.readableBytes());
                    in.skipBytes(n);
                    passRemaining -= n;
                    continue;
                }
                int start = in.readerIndex();
                if (in.readableBytes() < HEADER) {
                    break;
                }
                byte type = in.getByte(start);
                int length = in.getInt(start + 1);
                if (length < 4 || length > maxPacketSize()) {
                    flushRun(ctx, in, runStart, start);
                    in.skipBytes(in.readableBytes());
                    onProtocolError(ctx, length < 4
                            ? "invalid packet length " + length
                            : "packet too large: " + length + " bytes (max_packet_size " + maxPacketSize() + ")");
                    return;
                }
                long total = (long) length + 1;
                int kind = classify(type, length);
                if (kind == PASS) {
                    int n = (int) Math.min(total, in.readableBytes());
                    in.skipBytes(n);
                    passRemaining = total - n;
                    continue;
                }
                if (kind == HOLD) {
                    flushRun(ctx, in, runStart, start);
                    stopped = true;
                    keep(in);
                    afterStop(ctx);
                    return;
                }
                if (in.readableBytes() < total) {
                    if (total > COLLECT_THRESHOLD) {
                        flushRun(ctx, in, runStart, start);
                        collect(ctx, in, total);
                        return;
                    }
                    break;
                }
                int limit = in.writerIndex();
                int action;
                try {
                    action = onMessage(ctx, type, frame(in, start, (int) total));
                } finally {
                    in.setIndex(start, limit); // whatever the reader did with the indices
                }
                switch (action) {
                    case FORWARD -> {
                        in.skipBytes((int) total);
                        if (hasEmitted()) {
                            flushRun(ctx, in, runStart, in.readerIndex());
                            runStart = in.readerIndex();
                            forwardEmitted(ctx);
                        }
                    }
                    case FORWARD_AND_CUT -> {
                        in.skipBytes((int) total);
                        if (!in.isReadable()) {
                            // The common end of a read (a ReadyForQuery last): the buffer itself is the run.
                            forwardRest(ctx, in, runStart);
                            forwardEmitted(ctx);
                            afterCut(ctx);
                            return;
                        }
                        flushRun(ctx, in, runStart, in.readerIndex());
                        runStart = in.readerIndex();
                        forwardEmitted(ctx);
                        afterCut(ctx);
                    }
                    case DROP -> {
                        flushRun(ctx, in, runStart, start);
                        forwardEmitted(ctx);
                        in.skipBytes((int) total);
                        runStart = in.readerIndex();
                    }
                    case STOP -> {
                        flushRun(ctx, in, runStart, start);
                        forwardEmitted(ctx);
                        stopped = true;
                        keep(in);
                        afterStop(ctx);
                        return;
                    }
                    default -> throw new IllegalStateException("unknown action " + action);
                }
                if (!ctx.channel().isOpen()) {
                    flushPeer(); // no channelReadComplete follows a read that closed its channel
                    return;
                }
            }
            if (!in.isReadable()) {
                forwardRest(ctx, in, runStart);
                return;
            }
            flushRun(ctx, in, runStart, in.readerIndex());
            keep(in);
        } finally {
            in.release();
        }
    }

    /**
     * {@code in} itself as the message at {@code start} for {@link #onMessage}: its writer index is moved to the
     * message end for the call and back after it (the caller restores both indices), so no slice object is made
     * per message. Readers read relative to the frame's reader and writer index.
     */
    private static ByteBuf frame(ByteBuf in, int start, int total) {
        in.writerIndex(start + total);
        return in;
    }

    /** Sends the whole rest of {@code in} from {@code from} (its last byte included) as one run, without a slice. */
    private void forwardRest(ChannelHandlerContext ctx, ByteBuf in, int from) {
        if (in.writerIndex() > from) {
            in.readerIndex(from);
            forward(ctx, in.retain()); // scan's own reference is released by its caller's finally
        }
    }

    private void append(ChannelHandlerContext ctx, ByteBuf in) {
        if (leftover == null) {
            leftover = in;
        } else {
            ByteBuf merged = ctx.alloc().buffer(leftover.readableBytes() + in.readableBytes());
            merged.writeBytes(leftover).writeBytes(in);
            leftover.release();
            in.release();
            leftover = merged;
        }
        if (leftover.readableBytes() > STOPPED_BUFFER_LIMIT) {
            // A peer that keeps sending while stopped (e.g. waiting for a server) must not grow memory: pause it.
            ctx.channel().config().setAutoRead(false);
        }
    }

    /** Messages above this size that we must see whole are collected by appending, not by re-merging. */
    private static final int COLLECT_THRESHOLD = 64 * 1024;

    /** Starts collecting the incomplete message of {@code total} bytes that begins at {@code in}'s reader index. */
    private void collect(ChannelHandlerContext ctx, ByteBuf in, long total) {
        int have = in.readableBytes();
        // Grows by doubling as reads arrive (never trusting the length word for one big allocation up front).
        leftover = ctx.alloc().buffer((int) Math.min(total, Math.max(2L * have, COLLECT_THRESHOLD)));
        leftover.writeBytes(in);
        collecting = total;
    }

    /** Keeps the unread rest of {@code in} (from its reader index) without copying it or slicing it. */
    private void keep(ByteBuf in) {
        leftover = in.retain(); // scan's own reference is released by its finally
    }

    private void flushRun(ChannelHandlerContext ctx, ByteBuf in, int from, int to) {
        if (to > from) {
            forward(ctx, in.retainedSlice(from, to - from));
        }
    }

    /** The peer channel written to during this read loop, flushed once at its end. */
    private io.netty.channel.Channel flushTarget;

    /**
     * Writes a run to the peer's channel without flushing (one flush per read loop), and pauses reading this
     * side while the peer's outbound buffer is over its high-water mark (the peer's handler resumes it in
     * channelWritabilityChanged).
     */
    protected final void sendToPeer(ChannelHandlerContext ctx, io.netty.channel.Channel peer, ByteBuf run) {
        if (flushTarget != null && flushTarget != peer) {
            // The peer changed within one read loop (released and relinked): the previous one's bytes go out now.
            flushTarget.flush();
        }
        peer.write(run, peer.voidPromise());
        flushTarget = peer;
        if (!peer.isWritable()) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushPeer();
    }

    private void flushPeer() {
        if (flushTarget != null) {
            flushTarget.flush();
            flushTarget = null;
        }
    }

    /**
     * Drops partial state (on close). What this read loop already forwarded goes out first: a read that closes its
     * own channel (an idle server's FATAL right after the ReadyForQuery it forwarded) gets no channelReadComplete,
     * and the peer would wait for those bytes for ever (seen with io_uring, where the close completes later).
     */
    protected final void releaseKept() {
        flushPeer();
        if (leftover != null) {
            leftover.release();
            leftover = null;
        }
        passRemaining = 0;
        stopped = false;
        collecting = 0;
        if (emitted != null) {
            emitted.forEach(ByteBuf::release);
            emitted.clear();
        }
    }
}

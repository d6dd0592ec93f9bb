package dev.poolctl.pooler.session;

import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import dev.poolctl.pooler.protocol.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;

/**
 * Collects the untyped packets of the startup phase (SSLRequest, GSSENCRequest, CancelRequest, StartupMessage)
 * from however the client's bytes arrive, one byte per read included.
 *
 * <p>Accumulation is linear: an incomplete packet is copied once into one growing buffer, never re-wrapped per
 * read (a nest of composite buffers made every read of a trickled packet cost more than the one before). The
 * buffer is bounded: a packet is never longer than {@link PgProtocol#MAX_STARTUP_PACKET_LENGTH}, its length is
 * checked as soon as its 4 length bytes are in, and only an incomplete packet is kept between reads.
 */
final class StartupReader {
    /** Bytes received and not yet parsed; null when there are none. */
    private ByteBuf pending;
    /** Whether {@link #pending} is our own growable copy (true) or the last read's buffer itself (false). */
    private boolean owned;

    /** Appends one read; takes ownership of {@code in}. */
    void add(ByteBufAllocator alloc, ByteBuf in) {
        if (pending == null) {
            pending = in;
            owned = false;
            return;
        }
        if (!owned) {
            // The first incomplete read: start one buffer sized for the packet in progress and copy into it.
            ByteBuf copy = alloc.buffer(Math.max(64, pending.readableBytes() + in.readableBytes()));
            copy.writeBytes(pending);
            pending.release();
            pending = copy;
            owned = true;
        }
        pending.writeBytes(in);
        in.release();
    }

    /**
     * The next complete packet, or null while more bytes are needed.
     *
     * @throws PgProtocolException for a bad length word (PgBouncer's {@code bad packet header: '<hex>'}) or a
     *     packet that is not a valid startup-phase packet
     */
    StartupPacket next() throws PgProtocolException {
        if (pending == null || pending.readableBytes() < 4) {
            return null;
        }
        int length = pending.getInt(pending.readerIndex());
        if (length < 8 || length > PgProtocol.MAX_STARTUP_PACKET_LENGTH) {
            // PgBouncer shows the first 8 bytes of a bad startup header in hex.
            throw new PgProtocolException("bad packet header: '" + ByteBufUtil.hexDump(pending, pending.readerIndex(),
                    Math.min(8, pending.readableBytes())) + "'");
        }
        if (pending.readableBytes() < length) {
            return null;
        }
        return StartupPacket.parse(pending.readSlice(length));
    }

    /** The next unread byte, or -1 when none is kept. */
    int firstByte() {
        return pending != null && pending.isReadable() ? pending.getByte(pending.readerIndex()) : -1;
    }

    /** Whether bytes follow the packets read so far (e.g. data sent behind an SSLRequest). */
    boolean hasMore() {
        return pending != null && pending.isReadable();
    }

    /** The bytes after the startup phase (typed messages the client pipelined), or null; the caller owns them. */
    ByteBuf takeRest() {
        ByteBuf rest = null;
        if (pending != null && pending.isReadable()) {
            rest = pending.retainedSlice();
        }
        release();
        return rest;
    }

    /** Drops whatever is kept; safe to call more than once. */
    void release() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }

    /** Bytes kept between reads: for tests of the bound. */
    int pendingBytes() {
        return pending == null ? 0 : pending.readableBytes();
    }

    /** Whether the kept bytes are one flat buffer (tests: accumulation never nests buffers). */
    boolean isFlat() {
        return pending == null || pending.nioBufferCount() == 1;
    }

    /** Releases the fully read input between reads so that an idle client holds no buffer. */
    void compact() {
        if (pending != null && !pending.isReadable()) {
            release();
        } else if (pending != null && owned) {
            pending.discardReadBytes();
        }
    }
}

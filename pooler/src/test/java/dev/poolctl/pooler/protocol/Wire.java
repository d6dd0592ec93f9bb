package dev.poolctl.pooler.protocol;

import static org.junit.jupiter.api.Assertions.fail;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Builds expected wire bytes readably: {@code Wire.raw().type('Z').int32(5).byte1('I')}.
 *
 * <p>{@link #message(char)} writes the type byte and a length word that {@link #bytes()} fills in (PostgreSQL's
 * length: everything after the type byte); {@link #startup()} does the same for the untyped startup packets. Use
 * {@link #raw()} with a hand-written {@link #int32} when the length itself is what the test pins down.
 */
final class Wire {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    /** Offset of the length word to patch, or -1. */
    private final int lengthAt;

    private Wire(int lengthAt) {
        this.lengthAt = lengthAt;
    }

    /** Nothing is computed: every byte, lengths included, is written by the caller. */
    static Wire raw() {
        return new Wire(-1);
    }

    /** A typed message: type byte and a length word computed at the end. */
    static Wire message(char type) {
        Wire w = new Wire(1);
        w.out.write(type);
        w.int32(0);
        return w;
    }

    /** An untyped startup-phase packet: a length word (counting itself) computed at the end. */
    static Wire startup() {
        Wire w = new Wire(0);
        w.int32(0);
        return w;
    }

    Wire type(char type) {
        out.write(type);
        return this;
    }

    Wire byte1(int b) {
        out.write(b);
        return this;
    }

    Wire int16(int v) {
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    Wire int32(int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
        return this;
    }

    /** UTF-8 text followed by a NUL. */
    Wire cstring(String s) {
        text(s);
        out.write(0);
        return this;
    }

    /** UTF-8 text, no terminator. */
    Wire text(String s) {
        out.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        return this;
    }

    Wire bytes(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** {@code n} filler bytes (a body nobody reads). */
    Wire filler(int n, int value) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) value);
        return bytes(b);
    }

    byte[] bytes() {
        byte[] b = out.toByteArray();
        if (lengthAt >= 0) {
            ByteBuffer.wrap(b).putInt(lengthAt, b.length - lengthAt);
        }
        return b;
    }

    /** An unpooled heap buffer holding {@link #bytes()}; the caller releases it. */
    ByteBuf buf() {
        return Unpooled.wrappedBuffer(bytes());
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            o.writeBytes(p);
        }
        return o.toByteArray();
    }

    static String hex(byte[] b) {
        return ByteBufUtil.hexDump(b);
    }

    /** Fails with both hex dumps when {@code actual}'s readable bytes differ from {@code expected}. */
    static void assertBytes(byte[] expected, ByteBuf actual) {
        assertBytes(expected, ByteBufUtil.getBytes(actual), "");
    }

    static void assertBytes(byte[] expected, byte[] actual, String what) {
        if (!Arrays.equals(expected, actual)) {
            fail((what.isEmpty() ? "" : what + ": ") + "bytes differ\nexpected (" + expected.length + " bytes):\n"
                    + ByteBufUtil.prettyHexDump(Unpooled.wrappedBuffer(expected)) + "\nactual (" + actual.length
                    + " bytes):\n" + ByteBufUtil.prettyHexDump(Unpooled.wrappedBuffer(actual)));
        }
    }
}

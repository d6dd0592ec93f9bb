package dev.poolctl.pooler.session;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.protocol.PgProtocolException;
import dev.poolctl.pooler.protocol.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class StartupReaderTest {
    private static final ByteBufAllocator ALLOC = PooledByteBufAllocator.DEFAULT;

    /** A v3.0 StartupMessage for user bob with one more parameter of {@code padding} bytes. */
    private static byte[] startup(int padding) {
        byte[] body = ("user\0bob\0extra_float_digits\0" + "3".repeat(padding) + "\0\0").getBytes(StandardCharsets.US_ASCII);
        return ByteBuffer.allocate(8 + body.length).putInt(8 + body.length).putInt(196608).put(body).array();
    }

    private static ByteBuf buf(byte[] bytes, int from, int length) {
        ByteBuf b = ALLOC.buffer(length);
        b.writeBytes(bytes, from, length);
        return b;
    }

    @Test
    void aPacketTrickledOneBytePerReadIsCollectedInOneFlatBoundedBuffer() throws Exception {
        byte[] packet = startup(9_000);
        StartupReader reader = new StartupReader();
        List<ByteBuf> reads = new ArrayList<>();
        for (int i = 0; i < packet.length - 1; i++) {
            ByteBuf one = buf(packet, i, 1);
            reads.add(one);
            reader.add(ALLOC, one);
            assertNull(reader.next(), "incomplete at byte " + i);
            assertTrue(reader.isFlat(), "one flat buffer at byte " + i);
            assertTrue(reader.pendingBytes() <= packet.length);
            reader.compact();
        }
        reader.add(ALLOC, buf(packet, packet.length - 1, 1));
        StartupPacket p = reader.next();
        assertEquals("bob", ((StartupPacket.StartupMessage) p).user());
        assertNull(reader.next());
        assertNull(reader.takeRest());
        assertTrue(reads.stream().allMatch(b -> b.refCnt() == 0), "every read was released");
    }

    @Test
    void badLengthIsRefusedAsSoonAsItsFourBytesAreIn() throws Exception {
        StartupReader reader = new StartupReader();
        reader.add(ALLOC, Unpooled.wrappedBuffer(new byte[] {0x7f, (byte) 0xff}));
        assertNull(reader.next());
        reader.add(ALLOC, Unpooled.wrappedBuffer(new byte[] {(byte) 0xff, (byte) 0xff}));
        PgProtocolException e = assertThrows(PgProtocolException.class, reader::next);
        assertEquals("bad packet header: '7fffffff'", e.getMessage());
        reader.release();
    }

    @Test
    void packetsAfterEachOtherAndTheRestAreSeparated() throws Exception {
        byte[] ssl = ByteBuffer.allocate(8).putInt(8).putInt(80877103).array();
        byte[] startup = startup(10);
        byte[] query = {'Q', 0, 0, 0, 5, 0};
        ByteBuffer all = ByteBuffer.allocate(ssl.length + startup.length + query.length).put(ssl).put(startup).put(query);
        StartupReader reader = new StartupReader();
        reader.add(ALLOC, Unpooled.wrappedBuffer(all.array()));
        assertInstanceOf(StartupPacket.SslRequest.class, reader.next());
        assertTrue(reader.hasMore());
        assertInstanceOf(StartupPacket.StartupMessage.class, reader.next());
        ByteBuf rest = reader.takeRest();
        assertEquals(6, rest.readableBytes());
        assertEquals('Q', rest.getByte(0));
        rest.release();
        assertFalse(reader.hasMore());
    }
}

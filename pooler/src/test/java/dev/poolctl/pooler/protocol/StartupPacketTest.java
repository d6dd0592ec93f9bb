package dev.poolctl.pooler.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StartupPacketTest {
    private final List<ByteBuf> buffers = new ArrayList<>();

    @AfterEach
    void releaseBuffers() {
        buffers.forEach(ByteBuf::release);
    }

    private ByteBuf buf(Wire wire) {
        ByteBuf b = wire.buf();
        buffers.add(b);
        return b;
    }

    private StartupPacket parse(Wire wire) throws PgProtocolException {
        return StartupPacket.parse(buf(wire));
    }

    private PgProtocolException parseFails(Wire wire) {
        return assertThrows(PgProtocolException.class, () -> parse(wire));
    }

    private static Wire startupMessage(String... nameValues) {
        Wire w = Wire.startup().int32(PgProtocol.PROTOCOL_3_0);
        for (String s : nameValues) {
            w.cstring(s);
        }
        return w.byte1(0);
    }

    // ---- peekLength ----

    @ParameterizedTest(name = "{0} bytes")
    @ValueSource(ints = {0, 1, 2, 3})
    void peekLengthNeedsFourBytes(int available) {
        ByteBuf in = buf(Wire.raw().bytes(new byte[available]));

        assertEquals(-1, StartupPacket.peekLength(in));
    }

    @Test
    void peekLengthReadsTheLengthWordWithoutConsumingIt() {
        ByteBuf in = buf(Wire.raw().int32(8).int32(PgProtocol.SSL_REQUEST_CODE));

        assertEquals(8, StartupPacket.peekLength(in));
        assertEquals(0, in.readerIndex());
    }

    @Test
    void peekLengthReadsAtTheReaderIndex() {
        ByteBuf in = buf(Wire.raw().int32(999).int32(16).int32(PgProtocol.CANCEL_REQUEST_CODE));
        in.skipBytes(4);

        assertEquals(16, StartupPacket.peekLength(in));
        assertEquals(4, in.readerIndex());
    }

    @Test
    void peekLengthOfExactlyTheLengthWord() {
        assertEquals(1234, StartupPacket.peekLength(buf(Wire.raw().int32(1234))));
    }

    // ---- request codes ----

    @Test
    void parsesSslRequest() throws Exception {
        assertInstanceOf(StartupPacket.SslRequest.class,
                parse(Wire.raw().int32(8).int32(80877103)));
    }

    @Test
    void parsesGssEncRequest() throws Exception {
        assertInstanceOf(StartupPacket.GssEncRequest.class,
                parse(Wire.raw().int32(8).int32(80877104)));
    }

    @Test
    void parsesCancelRequestWithPidAndKey() throws Exception {
        StartupPacket p = parse(Wire.raw().int32(16).int32(80877102).int32(4242).int32(0xDEADBEEF));

        assertEquals(new StartupPacket.CancelRequest(4242, 0xDEADBEEF), p);
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {8, 12, 20})
    void cancelRequestWithALengthOtherThanSixteenIsRejected(int length) {
        Wire w = Wire.raw().int32(length).int32(80877102);
        for (int i = 8; i < Math.max(length, 16); i += 4) {
            w.int32(7);
        }

        assertEquals("bad cancel request", parseFails(w).getMessage());
    }

    @ParameterizedTest(name = "length {0}")
    @ValueSource(ints = {0, 4, 7, -1})
    void lengthBelowEightIsABadHeader(int length) {
        assertEquals("bad packet header", parseFails(Wire.raw().int32(length).int32(PgProtocol.PROTOCOL_3_0)
                .cstring("user").cstring("bob").byte1(0)).getMessage());
    }

    // ---- StartupMessage ----

    @Test
    void parsesStartupMessageParametersInOrder() throws Exception {
        StartupPacket p = parse(startupMessage("user", "bob", "database", "shop", "application_name", "psql",
                "client_encoding", "UTF8"));

        StartupPacket.StartupMessage m = assertInstanceOf(StartupPacket.StartupMessage.class, p);
        assertEquals(List.of("user", "database", "application_name", "client_encoding"),
                List.copyOf(m.parameters().keySet()));
        assertEquals("psql", m.parameters().get("application_name"));
        assertEquals("bob", m.user());
        assertEquals("shop", m.database());
    }

    @Test
    void databaseDefaultsToTheUserWhenMissing() throws Exception {
        StartupPacket.StartupMessage m = (StartupPacket.StartupMessage) parse(startupMessage("user", "bob"));

        assertEquals("bob", m.database());
    }

    @Test
    void databaseDefaultsToTheUserWhenEmpty() throws Exception {
        StartupPacket.StartupMessage m =
                (StartupPacket.StartupMessage) parse(startupMessage("database", "", "user", "bob"));

        assertEquals("bob", m.database());
    }

    @Test
    void parameterValuesAreUtf8() throws Exception {
        StartupPacket.StartupMessage m =
                (StartupPacket.StartupMessage) parse(startupMessage("user", "jörg", "options", "-c x=ü€"));

        assertEquals("jörg", m.user());
        assertEquals("-c x=ü€", m.parameters().get("options"));
    }

    @Test
    void emptyParameterValueIsKept() throws Exception {
        StartupPacket.StartupMessage m =
                (StartupPacket.StartupMessage) parse(startupMessage("user", "bob", "application_name", ""));

        assertEquals(Map.of("user", "bob", "application_name", ""), m.parameters());
    }

    @Test
    void parametersAreUnmodifiable() throws Exception {
        StartupPacket.StartupMessage m = (StartupPacket.StartupMessage) parse(startupMessage("user", "bob"));

        assertThrows(UnsupportedOperationException.class, () -> m.parameters().put("user", "eve"));
    }

    @Test
    void parseConsumesTheWholeStartupMessage() throws Exception {
        ByteBuf b = buf(startupMessage("user", "bob"));

        StartupPacket.parse(b);

        assertFalse(b.isReadable());
    }

    @Test
    void protocolTwoIsRejected() {
        Wire w = Wire.startup().int32(2 << 16).cstring("user").cstring("bob").byte1(0);

        assertEquals("old V2 protocol not supported", parseFails(w).getMessage());
    }

    @Test
    void otherMajorVersionsGetPostgresqlsError() {
        Wire four = Wire.startup().int32(4 << 16).cstring("user").cstring("bob").byte1(0);
        assertEquals("unsupported frontend protocol 4.0: server supports 3.0 to 3.0", parseFails(four).getMessage());
        Wire one = Wire.startup().int32((1 << 16) | 7).cstring("user").cstring("bob").byte1(0);
        assertEquals("unsupported frontend protocol 1.7: server supports 3.0 to 3.0", parseFails(one).getMessage());
    }

    @Test
    void minorVersionOfProtocolThreeIsKept() throws Exception {
        Wire w = Wire.startup().int32((3 << 16) | 2).cstring("user").cstring("bob").byte1(0);
        StartupPacket p = parse(w);
        assertEquals(2, ((StartupPacket.StartupMessage) p).minorVersion());
    }

    @Test
    void missingUserIsRejected() {
        assertEquals("no username supplied", parseFails(startupMessage("database", "shop")).getMessage());
    }

    @Test
    void emptyUserIsRejected() {
        assertEquals("no username supplied", parseFails(startupMessage("user", "", "database", "shop")).getMessage());
    }

    @Test
    void noParametersAtAllIsRejectedForMissingUser() {
        assertEquals("no username supplied", parseFails(startupMessage()).getMessage());
    }

    @Test
    void unterminatedParameterNameIsABadStartupPacket() {
        Wire w = Wire.startup().int32(PgProtocol.PROTOCOL_3_0).cstring("user").cstring("bob").text("database");

        assertEquals("bad startup packet", parseFails(w).getMessage());
    }

    @Test
    void unterminatedParameterValueIsABadStartupPacket() {
        Wire w = Wire.startup().int32(PgProtocol.PROTOCOL_3_0).cstring("user").text("bob");

        assertEquals("bad startup packet", parseFails(w).getMessage());
    }

    @Test
    void missingFinalTerminatorIsABadStartupPacket() {
        Wire w = Wire.startup().int32(PgProtocol.PROTOCOL_3_0).cstring("user").cstring("bob");

        assertEquals("bad startup packet", parseFails(w).getMessage());
    }

    @Test
    void nameWithoutValueIsABadStartupPacket() {
        Wire w = Wire.startup().int32(PgProtocol.PROTOCOL_3_0).cstring("user").cstring("bob").cstring("database");

        assertEquals("bad startup packet", parseFails(w).getMessage());
    }

    @Test
    void parsesOnlyTheReadableBytesOfTheFrame() throws Exception {
        // A frame sliced out of a larger read: a following packet must not be taken for a terminator.
        byte[] packet = startupMessage("user", "bob").bytes();
        ByteBuf read = buf(Wire.raw().bytes(packet).bytes(Wire.raw().int32(8).int32(80877103).bytes()));

        StartupPacket p = StartupPacket.parse(read.slice(0, packet.length));

        assertEquals(new StartupPacket.StartupMessage(new LinkedHashMap<>(Map.of("user", "bob"))), p);
    }

    @Test
    void frontendStartupMessageRoundTrips() throws Exception {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "bob");
        params.put("database", "shop");
        params.put("application_name", "poolctl");
        ByteBuf b = FrontendMessages.startupMessage(UnpooledByteBufAllocator.DEFAULT, params);
        buffers.add(b);

        assertEquals(b.readableBytes(), StartupPacket.peekLength(b));
        StartupPacket.StartupMessage m = (StartupPacket.StartupMessage) StartupPacket.parse(b);
        assertEquals(params, m.parameters());
    }

    @Test
    void frontendCancelRequestRoundTrips() throws Exception {
        ByteBuf b = FrontendMessages.cancelRequest(UnpooledByteBufAllocator.DEFAULT, 77, -5);
        buffers.add(b);

        assertEquals(new StartupPacket.CancelRequest(77, -5), StartupPacket.parse(b));
    }
}

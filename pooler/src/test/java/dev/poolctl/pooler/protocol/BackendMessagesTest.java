package dev.poolctl.pooler.protocol;

import static dev.poolctl.pooler.protocol.Wire.assertBytes;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Golden bytes of the backend messages the pooler writes itself. */
class BackendMessagesTest {
    private final TrackingAllocator alloc = new TrackingAllocator();

    @AfterEach
    void allBuffersReleased() {
        alloc.assertAllReleased();
    }

    /** Compares and releases {@code actual}. */
    private static void assertFrame(Wire expected, ByteBuf actual) {
        try {
            assertBytes(expected.bytes(), actual);
        } finally {
            actual.release();
        }
    }

    private ByteBuf written(java.util.function.Consumer<ByteBuf> writer) {
        ByteBuf b = alloc.buffer();
        writer.accept(b);
        return b;
    }

    // ---- Authentication* ----

    @Test
    void authenticationOkIsCodeZero() {
        assertFrame(Wire.raw().type('R').int32(8).int32(0), BackendMessages.authenticationOk(alloc));
    }

    @Test
    void authenticationCleartextPasswordIsCodeThree() {
        assertFrame(Wire.raw().type('R').int32(8).int32(3), BackendMessages.authenticationCleartext(alloc));
    }

    @Test
    void authenticationMd5PasswordCarriesTheFourByteSalt() {
        byte[] salt = {(byte) 0x9a, 0x01, (byte) 0xff, 0x7f};

        assertFrame(Wire.raw().type('R').int32(12).int32(5).bytes(salt),
                BackendMessages.authenticationMd5(alloc, salt));
    }

    @Test
    void authenticationSaslListsTheMechanismAndEndsWithAnEmptyName() {
        assertFrame(Wire.raw().type('R').int32(4 + 4 + 14 + 1).int32(10).cstring("SCRAM-SHA-256").byte1(0),
                BackendMessages.authenticationSasl(alloc, "SCRAM-SHA-256"));
    }

    @Test
    void authenticationSaslContinueCarriesTheServerFirstMessage() {
        String data = "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096";

        assertFrame(Wire.message('R').int32(11).text(data),
                BackendMessages.authenticationSaslData(alloc, PgProtocol.AUTH_SASL_CONTINUE, data));
    }

    @Test
    void authenticationSaslFinalCarriesTheServerSignature() {
        assertFrame(Wire.raw().type('R').int32(4 + 4 + 6).int32(12).text("v=abcd"),
                BackendMessages.authenticationSaslData(alloc, PgProtocol.AUTH_SASL_FINAL, "v=abcd"));
    }

    // ---- welcome ----

    @Test
    void parameterStatusIsNameAndValueAsCStrings() {
        assertFrame(Wire.raw().type('S').int32(4 + 9 + 4).cstring("TimeZone").cstring("UTC"),
                written(b -> BackendMessages.writeParameterStatus(b, "TimeZone", "UTC")));
    }

    @Test
    void parameterStatusLengthCountsUtf8BytesNotChars() {
        assertFrame(Wire.message('S').cstring("application_name").cstring("Zürich €"),
                written(b -> BackendMessages.writeParameterStatus(b, "application_name", "Zürich €")));
    }

    @Test
    void parameterStatusWithEmptyValue() {
        assertFrame(Wire.raw().type('S').int32(4 + 17 + 1).cstring("application_name").cstring(""),
                written(b -> BackendMessages.writeParameterStatus(b, "application_name", "")));
    }

    @Test
    void backendKeyDataIsPidAndSecret() {
        assertFrame(Wire.raw().type('K').int32(12).int32(31337).int32(0x80000001),
                written(b -> BackendMessages.writeBackendKeyData(b, 31337, 0x80000001)));
    }

    @ParameterizedTest(name = "status {0}")
    @ValueSource(chars = {'I', 'T', 'E'})
    void readyForQueryCarriesTheTransactionStatus(char status) {
        assertFrame(Wire.raw().type('Z').int32(5).byte1(status),
                written(b -> BackendMessages.writeReadyForQuery(b, (byte) status)));
    }

    @Test
    void welcomeMessagesAppendToOneBuffer() {
        ByteBuf b = written(w -> {
            BackendMessages.writeParameterStatus(w, "server_version", "16.4");
            BackendMessages.writeBackendKeyData(w, 1, 2);
            BackendMessages.writeReadyForQuery(w, PgProtocol.TX_IDLE);
        });

        assertFrame(Wire.raw()
                .bytes(Wire.message('S').cstring("server_version").cstring("16.4").bytes())
                .type('K').int32(12).int32(1).int32(2)
                .type('Z').int32(5).byte1('I'), b);
    }

    // ---- ErrorResponse / NoticeResponse ----

    @Test
    void errorResponseHasExactlySeverityCodeAndMessageLikePgBouncer() {
        ByteBuf b = BackendMessages.errorResponse(alloc, "FATAL", "08P01", "bad packet");
        try {
            assertBytes(Wire.raw().type('E').int32(31)
                    .byte1('S').cstring("FATAL")
                    .byte1('C').cstring("08P01")
                    .byte1('M').cstring("bad packet")
                    .byte1(0).bytes(), b);
            assertEquals(b.readableBytes() - 1, b.getInt(1), "length counts everything after the type byte");
            assertEquals(List.of('S', 'C', 'M'), List.copyOf(Messages.errorFields(b).keySet()));
        } finally {
            b.release();
        }
    }

    @Test
    void errorResponseLengthCountsUtf8BytesNotChars() {
        String message = "password authentication failed for user \"jörg\" – sorry";

        assertFrame(Wire.message('E')
                .byte1('S').cstring("FATAL")
                .byte1('C').cstring("28P01")
                .byte1('M').cstring(message)
                .byte1(0), BackendMessages.errorResponse(alloc, "FATAL", "28P01", message));
    }

    @Test
    void errorResponseWithALongMessageGrowsTheBuffer() {
        String message = "x".repeat(5000);

        ByteBuf b = BackendMessages.errorResponse(alloc, "ERROR", "0A000", message);
        try {
            assertEquals(Map.of('S', "ERROR", 'C', "0A000", 'M', message), Messages.errorFields(b));
            assertEquals(1 + 4 + 7 + 7 + 5002 + 1, b.readableBytes());
        } finally {
            b.release();
        }
    }

    @Test
    void noticeResponseHasTheSameShapeWithTypeN() {
        assertFrame(Wire.message('N')
                .byte1('S').cstring("WARNING")
                .byte1('C').cstring("01000")
                .byte1('M').cstring("pooler is shutting down")
                .byte1(0),
                written(b -> BackendMessages.writeErrorOrNotice(b, PgProtocol.NOTICE_RESPONSE, "WARNING", "01000",
                        "pooler is shutting down")));
    }

    @Test
    void errorAppendedAfterOtherMessagesGetsItsOwnLength() {
        ByteBuf b = written(w -> {
            BackendMessages.writeReadyForQuery(w, PgProtocol.TX_IDLE);
            BackendMessages.writeErrorOrNotice(w, PgProtocol.ERROR_RESPONSE, "ERROR", "57014", "canceled");
        });

        assertFrame(Wire.raw()
                .type('Z').int32(5).byte1('I')
                .type('E').int32(4 + 7 + 7 + 10 + 1)
                .byte1('S').cstring("ERROR")
                .byte1('C').cstring("57014")
                .byte1('M').cstring("canceled")
                .byte1(0), b);
    }

    @Test
    void messagesAreAllocatedFromTheGivenAllocator() {
        ByteBufAllocator a = alloc;
        int before = alloc.allocations();

        BackendMessages.authenticationOk(a).release();
        BackendMessages.errorResponse(a, "FATAL", "08P01", "x").release();

        assertEquals(before + 2, alloc.allocations(), "messages are allocated from the channel's allocator");
    }
}

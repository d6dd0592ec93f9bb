package dev.poolctl.pooler.protocol;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The decoders in {@link Messages}. Each frame is handed over the way {@link PgStreamHandler#onMessage} does it: a
 * slice of a larger read, with other messages before and after it.
 */
class MessagesTest {
    private static final byte[] BEFORE = Wire.message('D').int16(1).int32(2).text("xy").bytes();
    private static final byte[] AFTER = Wire.message('C').cstring("SELECT 1").bytes();

    private final List<ByteBuf> reads = new ArrayList<>();

    @AfterEach
    void releaseReads() {
        reads.forEach(ByteBuf::release);
    }

    /** {@code frame} as a slice of a read that also holds the messages around it. */
    private ByteBuf frame(Wire frame) {
        byte[] f = frame.bytes();
        ByteBuf read = Unpooled.wrappedBuffer(Wire.concat(BEFORE, f, AFTER));
        reads.add(read);
        return read.slice(BEFORE.length, f.length);
    }

    // ---- ReadyForQuery, BackendKeyData ----

    @ParameterizedTest(name = "status {0}")
    @ValueSource(chars = {'I', 'T', 'E'})
    void readyForQueryStatusIsTheBodyByte(char status) {
        assertEquals((byte) status, Messages.readyForQueryStatus(frame(Wire.raw().type('Z').int32(5).byte1(status))));
    }

    @Test
    void readyForQueryStatusHonoursTheReaderIndex() {
        ByteBuf read = Unpooled.wrappedBuffer(Wire.concat(BEFORE, Wire.raw().type('Z').int32(5).byte1('T').bytes()));
        reads.add(read);
        read.readerIndex(BEFORE.length);

        assertEquals((byte) 'T', Messages.readyForQueryStatus(read));
    }

    @Test
    void backendKeyDataPidAndSecret() {
        ByteBuf f = frame(Wire.raw().type('K').int32(12).int32(31337).int32(-559038737));

        assertEquals(31337, Messages.backendKeyPid(f));
        assertEquals(-559038737, Messages.backendKeySecret(f));
    }

    // ---- ParameterStatus ----

    @Test
    void parameterStatusIsNameAndValue() {
        assertArrayEquals(new String[] {"TimeZone", "Europe/Berlin"},
                Messages.parameterStatus(frame(Wire.message('S').cstring("TimeZone").cstring("Europe/Berlin"))));
    }

    @Test
    void parameterStatusWithEmptyValue() {
        assertArrayEquals(new String[] {"application_name", ""},
                Messages.parameterStatus(frame(Wire.message('S').cstring("application_name").cstring(""))));
    }

    @Test
    void parameterStatusIsUtf8() {
        assertArrayEquals(new String[] {"application_name", "Zürich €"},
                Messages.parameterStatus(frame(Wire.message('S').cstring("application_name").cstring("Zürich €"))));
    }

    @Test
    void parameterStatusWithoutValueTerminatorIsTwoEmptyStrings() {
        assertArrayEquals(new String[] {"", ""},
                Messages.parameterStatus(frame(Wire.message('S').cstring("TimeZone").text("UTC"))));
    }

    @Test
    void parameterStatusWithoutAnyTerminatorIsTwoEmptyStrings() {
        assertArrayEquals(new String[] {"", ""}, Messages.parameterStatus(frame(Wire.message('S').text("TimeZone"))));
    }

    // ---- ErrorResponse / NoticeResponse ----

    @Test
    void errorFieldsInWireOrder() {
        ByteBuf f = frame(Wire.message('E')
                .byte1('S').cstring("ERROR")
                .byte1('V').cstring("ERROR")
                .byte1('C').cstring("42P01")
                .byte1('M').cstring("relation \"nope\" does not exist")
                .byte1('P').cstring("15")
                .byte1('F').cstring("parse_relation.c")
                .byte1('L').cstring("1449")
                .byte1('R').cstring("parserOpenTable")
                .byte1(0));

        Map<Character, String> expected = new LinkedHashMap<>();
        expected.put('S', "ERROR");
        expected.put('V', "ERROR");
        expected.put('C', "42P01");
        expected.put('M', "relation \"nope\" does not exist");
        expected.put('P', "15");
        expected.put('F', "parse_relation.c");
        expected.put('L', "1449");
        expected.put('R', "parserOpenTable");
        Map<Character, String> fields = Messages.errorFields(f);
        assertEquals(expected, fields);
        assertEquals(List.copyOf(expected.keySet()), List.copyOf(fields.keySet()));
    }

    @Test
    void errorFieldsStopAtTheTerminator() {
        ByteBuf f = frame(Wire.message('N').byte1('S').cstring("NOTICE").byte1(0).byte1('M').cstring("ignored"));

        assertEquals(Map.of('S', "NOTICE"), Messages.errorFields(f));
    }

    @Test
    void errorFieldsOfAnEmptyErrorAreEmpty() {
        assertEquals(Map.of(), Messages.errorFields(frame(Wire.raw().type('E').int32(5).byte1(0))));
    }

    @Test
    void unterminatedErrorFieldIsIgnored() {
        ByteBuf f = frame(Wire.message('E').byte1('S').cstring("FATAL").byte1('M').text("cut off"));

        assertEquals(Map.of('S', "FATAL"), Messages.errorFields(f));
    }

    @Test
    void errorFieldsReadWhatBackendMessagesWrites() {
        ByteBuf b = BackendMessages.errorResponse(UnpooledByteBufAllocator.DEFAULT, "FATAL", "53300", "no more connections allowed (max_client_conn)");
        reads.add(b);

        Map<Character, String> expected = new LinkedHashMap<>();
        expected.put('S', "FATAL");
        expected.put('C', "53300");
        expected.put('M', "no more connections allowed (max_client_conn)");
        assertEquals(expected, Messages.errorFields(b));
    }

    // ---- PasswordMessage ----

    @Test
    void passwordTextDropsTheTrailingNul() {
        assertEquals("secret", Messages.passwordText(frame(Wire.message('p').cstring("secret"))));
    }

    @Test
    void passwordTextWithoutNulIsTheWholeBody() {
        assertEquals("c=biws,r=abc,p=xyz", Messages.passwordText(frame(Wire.message('p').text("c=biws,r=abc,p=xyz"))));
    }

    @Test
    void passwordTextOfAnEmptyBodyIsEmpty() {
        assertEquals("", Messages.passwordText(frame(Wire.raw().type('p').int32(4))));
    }

    // ---- SASLInitialResponse ----

    @Test
    void saslInitialResponseIsMechanismAndData() throws Exception {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").int32(28).text("n,,n=,r=rOprNGfwEbeRWgbNEkqO"));

        assertArrayEquals(new String[] {"SCRAM-SHA-256", "n,,n=,r=rOprNGfwEbeRWgbNEkqO"},
                Messages.saslInitialResponse(f));
    }

    @Test
    void saslInitialResponseWithLengthMinusOneHasNoData() throws Exception {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").int32(-1));

        assertArrayEquals(new String[] {"SCRAM-SHA-256", null}, Messages.saslInitialResponse(f));
    }

    @Test
    void saslInitialResponseWithLengthZeroHasEmptyData() throws Exception {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").int32(0));

        assertArrayEquals(new String[] {"SCRAM-SHA-256", ""}, Messages.saslInitialResponse(f));
    }

    @Test
    void saslInitialResponseReadsWhatFrontendMessagesWrites() throws Exception {
        ByteBuf b = FrontendMessages.saslInitialResponse(UnpooledByteBufAllocator.DEFAULT, "SCRAM-SHA-256", "n,,n=,r=abc");
        reads.add(b);

        assertArrayEquals(new String[] {"SCRAM-SHA-256", "n,,n=,r=abc"}, Messages.saslInitialResponse(b));
    }

    @Test
    void saslInitialResponseWithoutMechanismTerminatorIsMalformed() {
        ByteBuf f = frame(Wire.message('p').text("SCRAM-SHA-256"));

        assertEquals("malformed SASLInitialResponse",
                assertThrows(PgProtocolException.class, () -> Messages.saslInitialResponse(f)).getMessage());
    }

    @Test
    void saslInitialResponseWithoutLengthWordIsMalformed() {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").byte1(0).byte1(0).byte1(0));

        assertEquals("malformed SASLInitialResponse",
                assertThrows(PgProtocolException.class, () -> Messages.saslInitialResponse(f)).getMessage());
    }

    @Test
    void saslInitialResponseWithDataShorterThanItsLengthIsMalformed() {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").int32(29).text("n,,n=,r=rOprNGfwEbeRWgbNEkqO"));

        assertEquals("malformed SASLInitialResponse",
                assertThrows(PgProtocolException.class, () -> Messages.saslInitialResponse(f)).getMessage());
    }

    @Test
    void saslInitialResponseWithHugeLengthIsMalformed() {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").int32(Integer.MAX_VALUE).text("n,,n=,r=abc"));

        assertEquals("malformed SASLInitialResponse",
                assertThrows(PgProtocolException.class, () -> Messages.saslInitialResponse(f)).getMessage());
    }

    @Test
    void saslInitialResponseWithNegativeLengthOtherThanMinusOneIsMalformed() {
        ByteBuf f = frame(Wire.message('p').cstring("SCRAM-SHA-256").int32(-2));

        assertThrows(PgProtocolException.class, () -> Messages.saslInitialResponse(f));
    }

    // ---- AuthenticationSASL, Authentication* code and data ----

    @Test
    void saslMechanismsListsEveryNameBeforeTheEmptyOne() {
        ByteBuf f = frame(Wire.message('R').int32(10).cstring("SCRAM-SHA-256-PLUS").cstring("SCRAM-SHA-256").byte1(0));

        assertEquals(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"), Messages.saslMechanisms(f));
    }

    @Test
    void saslMechanismsReadWhatBackendMessagesWrites() {
        ByteBuf b = BackendMessages.authenticationSasl(UnpooledByteBufAllocator.DEFAULT, "SCRAM-SHA-256");
        reads.add(b);

        assertEquals(List.of("SCRAM-SHA-256"), Messages.saslMechanisms(b));
    }

    @Test
    void saslMechanismsOfAnEmptyListIsEmpty() {
        assertEquals(List.of(), Messages.saslMechanisms(frame(Wire.message('R').int32(10).byte1(0))));
    }

    @Test
    void unterminatedSaslMechanismIsIgnored() {
        ByteBuf f = frame(Wire.message('R').int32(10).cstring("SCRAM-SHA-256").text("SCRAM-SHA-256-PL"));

        assertEquals(List.of("SCRAM-SHA-256"), Messages.saslMechanisms(f));
    }

    @Test
    void authenticationOkHasCodeZeroAndNoData() {
        ByteBuf f = frame(Wire.raw().type('R').int32(8).int32(0));

        assertEquals(PgProtocol.AUTH_OK, Messages.authCode(f));
        assertArrayEquals(new byte[0], Messages.authData(f));
    }

    @Test
    void authenticationMd5PasswordDataIsTheSalt() {
        byte[] salt = {0x01, (byte) 0xfe, 0x00, 0x7f};
        ByteBuf f = frame(Wire.raw().type('R').int32(12).int32(5).bytes(salt));

        assertEquals(PgProtocol.AUTH_MD5, Messages.authCode(f));
        assertArrayEquals(salt, Messages.authData(f));
    }

    @Test
    void authenticationSaslContinueDataIsTheServerMessage() {
        String data = "r=abc,s=QSXCR+Q6sek8bf92,i=4096";
        ByteBuf f = frame(Wire.message('R').int32(11).text(data));

        assertEquals(PgProtocol.AUTH_SASL_CONTINUE, Messages.authCode(f));
        assertEquals(data, new String(Messages.authData(f), java.nio.charset.StandardCharsets.UTF_8));
    }

    @Test
    void authCodeAndDataReadWhatBackendMessagesWrites() {
        byte[] salt = {9, 8, 7, 6};
        ByteBuf b = BackendMessages.authenticationMd5(UnpooledByteBufAllocator.DEFAULT, salt);
        reads.add(b);

        assertEquals(PgProtocol.AUTH_MD5, Messages.authCode(b));
        assertArrayEquals(salt, Messages.authData(b));
    }
}

package dev.poolctl.pooler.protocol;

import static dev.poolctl.pooler.protocol.Wire.assertBytes;

import io.netty.buffer.ByteBuf;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Golden bytes of the frontend messages the pooler sends as a client of PostgreSQL. */
class FrontendMessagesTest {
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

    @Test
    void startupMessageIsLengthProtocolThreeAndParametersInOrder() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "bob");
        params.put("database", "shop");

        assertFrame(Wire.raw().int32(4 + 4 + 5 + 4 + 9 + 5 + 1).int32(196608)
                .cstring("user").cstring("bob")
                .cstring("database").cstring("shop")
                .byte1(0), FrontendMessages.startupMessage(alloc, params));
    }

    @Test
    void startupMessageLongerThanTheInitialBufferKeepsTheRightLength() {
        Map<String, String> params = new LinkedHashMap<>();
        params.put("user", "bob");
        params.put("options", "-c search_path=" + "s".repeat(300) + " -c statement_timeout=5s");
        params.put("application_name", "Zürich");

        Wire expected = Wire.startup().int32(PgProtocol.PROTOCOL_3_0);
        params.forEach((k, v) -> expected.cstring(k).cstring(v));
        assertFrame(expected.byte1(0), FrontendMessages.startupMessage(alloc, params));
    }

    @Test
    void cancelRequestIsSixteenBytesWithPidAndKey() {
        assertFrame(Wire.raw().int32(16).int32(80877102).int32(4242).int32(0xCAFEBABE),
                FrontendMessages.cancelRequest(alloc, 4242, 0xCAFEBABE));
    }

    @Test
    void extendedQueryIsParseBindExecuteSyncWithTheParameterApartFromTheSql() {
        String sql = "SELECT usename, passwd FROM pg_shadow WHERE usename = $1";
        String user = "o'brien; DROP TABLE x; --ü"; // stays a value: never spliced into the SQL
        byte[] value = user.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream expected = new java.io.ByteArrayOutputStream();
        expected.writeBytes(Wire.message('P').cstring("").cstring(sql).int16(0).bytes());
        expected.writeBytes(Wire.message('B').cstring("").cstring("").int16(0).int16(1).int32(value.length)
                .bytes(value).int16(0).bytes());
        expected.writeBytes(Wire.message('E').cstring("").int32(0).bytes());
        expected.writeBytes(Wire.message('S').bytes());
        ByteBuf actual = FrontendMessages.extendedQuery(alloc, sql, user);
        try {
            assertBytes(expected.toByteArray(), actual);
        } finally {
            actual.release();
        }
    }

    @Test
    void passwordMessageIsTheNulTerminatedPassword() {
        assertFrame(Wire.raw().type('p').int32(4 + 7).cstring("secret"),
                FrontendMessages.passwordMessage(alloc, "secret"));
    }

    @Test
    void md5PasswordMessage() {
        String md5 = "md5" + "0123456789abcdef0123456789abcdef";

        assertFrame(Wire.raw().type('p').int32(4 + 36).cstring(md5), FrontendMessages.passwordMessage(alloc, md5));
    }

    @Test
    void passwordMessageLengthCountsUtf8Bytes() {
        assertFrame(Wire.message('p').cstring("pässwörd€"), FrontendMessages.passwordMessage(alloc, "pässwörd€"));
    }

    @Test
    void emptyPasswordMessageIsJustTheNul() {
        assertFrame(Wire.raw().type('p').int32(5).byte1(0), FrontendMessages.passwordMessage(alloc, ""));
    }

    @Test
    void saslInitialResponseIsMechanismThenLengthPrefixedData() {
        String clientFirst = "n,,n=,r=rOprNGfwEbeRWgbNEkqO";

        assertFrame(Wire.raw().type('p').int32(4 + 14 + 4 + 28)
                .cstring("SCRAM-SHA-256").int32(28).text(clientFirst),
                FrontendMessages.saslInitialResponse(alloc, "SCRAM-SHA-256", clientFirst));
    }

    @Test
    void saslInitialResponseWithEmptyDataHasLengthZero() {
        assertFrame(Wire.message('p').cstring("SCRAM-SHA-256").int32(0),
                FrontendMessages.saslInitialResponse(alloc, "SCRAM-SHA-256", ""));
    }

    @Test
    void saslResponseIsTheRawDataWithoutTerminator() {
        String clientFinal = "c=biws,r=rOprNGfwEbeRWgbNEkqO,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

        assertFrame(Wire.message('p').text(clientFinal), FrontendMessages.saslResponse(alloc, clientFinal));
    }

    @Test
    void queryIsTheNulTerminatedSql() {
        assertFrame(Wire.raw().type('Q').int32(4 + 9).cstring("SELECT 1"), FrontendMessages.query(alloc, "SELECT 1"));
    }

    @Test
    void queryLengthCountsUtf8Bytes() {
        String sql = "SELECT 'Grüße, 世界'";

        assertFrame(Wire.message('Q').cstring(sql), FrontendMessages.query(alloc, sql));
    }

    @Test
    void terminateIsTypeXWithLengthFour() {
        assertFrame(Wire.raw().type('X').int32(4), FrontendMessages.terminate(alloc));
    }
}

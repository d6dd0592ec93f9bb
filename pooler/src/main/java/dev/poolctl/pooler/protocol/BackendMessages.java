package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Writes the few backend messages the pooler itself originates (auth, welcome, errors).
 * Forwarded server messages never pass through here.
 */
public final class BackendMessages {
    private BackendMessages() {}

    public static ByteBuf authenticationOk(ByteBufAllocator alloc) {
        return authRequest(alloc, PgProtocol.AUTH_OK);
    }

    public static ByteBuf authenticationCleartext(ByteBufAllocator alloc) {
        return authRequest(alloc, PgProtocol.AUTH_CLEARTEXT);
    }

    public static ByteBuf authenticationMd5(ByteBufAllocator alloc, byte[] salt) {
        ByteBuf b = alloc.buffer(13);
        b.writeByte(PgProtocol.AUTHENTICATION).writeInt(12).writeInt(PgProtocol.AUTH_MD5).writeBytes(salt);
        return b;
    }

    public static ByteBuf authenticationSasl(ByteBufAllocator alloc, String mechanism) {
        byte[] m = mechanism.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(1 + 4 + 4 + m.length + 2);
        b.writeByte(PgProtocol.AUTHENTICATION).writeInt(4 + 4 + m.length + 2).writeInt(PgProtocol.AUTH_SASL);
        b.writeBytes(m).writeByte(0).writeByte(0);
        return b;
    }

    public static ByteBuf authenticationSaslData(ByteBufAllocator alloc, int code, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(9 + d.length);
        b.writeByte(PgProtocol.AUTHENTICATION).writeInt(8 + d.length).writeInt(code).writeBytes(d);
        return b;
    }

    private static ByteBuf authRequest(ByteBufAllocator alloc, int code) {
        ByteBuf b = alloc.buffer(9);
        b.writeByte(PgProtocol.AUTHENTICATION).writeInt(8).writeInt(code);
        return b;
    }

    /**
     * NegotiateProtocolVersion ('v'): the newest protocol the pooler speaks for the major the client asked for
     * (3.0), and the {@code _pq_.} options it did not recognise; the login then goes on as with 3.0.
     */
    public static ByteBuf negotiateProtocolVersion(ByteBufAllocator alloc, java.util.List<String> unrecognizedOptions) {
        ByteBuf b = alloc.buffer(64);
        b.writeByte('v').writeInt(0).writeInt(PgProtocol.PROTOCOL_3_0).writeInt(unrecognizedOptions.size());
        for (String option : unrecognizedOptions) {
            b.writeCharSequence(option, java.nio.charset.StandardCharsets.UTF_8);
            b.writeByte(0);
        }
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    public static void writeParameterStatus(ByteBuf b, String name, String value) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] v = value.getBytes(StandardCharsets.UTF_8);
        b.writeByte(PgProtocol.PARAMETER_STATUS).writeInt(4 + n.length + 1 + v.length + 1);
        b.writeBytes(n).writeByte(0).writeBytes(v).writeByte(0);
    }

    public static void writeBackendKeyData(ByteBuf b, int pid, int key) {
        b.writeByte(PgProtocol.BACKEND_KEY_DATA).writeInt(12).writeInt(pid).writeInt(key);
    }

    public static void writeReadyForQuery(ByteBuf b, byte status) {
        b.writeByte(PgProtocol.READY_FOR_QUERY).writeInt(5).writeByte(status);
    }

    public static ByteBuf parseComplete(ByteBufAllocator alloc) {
        return alloc.buffer(5).writeByte(PgProtocol.PARSE_COMPLETE).writeInt(4);
    }

    public static ByteBuf closeComplete(ByteBufAllocator alloc) {
        return alloc.buffer(5).writeByte(PgProtocol.CLOSE_COMPLETE).writeInt(4);
    }

    /** ErrorResponse (or NoticeResponse) with exactly the fields PgBouncer sends: S, C, M. */
    public static ByteBuf errorResponse(ByteBufAllocator alloc, String severity, String sqlState, String message) {
        ByteBuf b = alloc.buffer(64 + message.length());
        writeErrorOrNotice(b, PgProtocol.ERROR_RESPONSE, severity, sqlState, message);
        return b;
    }

    /** NoticeResponse with PgBouncer's fields for its own notices: S NOTICE, C 00000, M. */
    public static ByteBuf notice(ByteBufAllocator alloc, String message) {
        ByteBuf b = alloc.buffer(64 + message.length());
        writeErrorOrNotice(b, PgProtocol.NOTICE_RESPONSE, "NOTICE", "00000", message);
        return b;
    }

    public static void writeErrorOrNotice(ByteBuf b, byte type, String severity, String sqlState, String message) {
        int start = b.writerIndex();
        b.writeByte(type).writeInt(0);
        field(b, 'S', severity);
        field(b, 'C', sqlState);
        field(b, 'M', message);
        b.writeByte(0);
        b.setInt(start + 1, b.writerIndex() - start - 1);
    }

    private static void field(ByteBuf b, char code, String value) {
        b.writeByte(code);
        b.writeCharSequence(value, StandardCharsets.UTF_8);
        b.writeByte(0);
    }
}

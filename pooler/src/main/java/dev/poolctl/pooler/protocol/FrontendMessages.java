package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** Writes the frontend messages the pooler sends when it acts as a client of PostgreSQL. */
public final class FrontendMessages {
    private FrontendMessages() {}

    public static ByteBuf startupMessage(ByteBufAllocator alloc, Map<String, String> params) {
        ByteBuf b = alloc.buffer(128);
        b.writeInt(0).writeInt(PgProtocol.PROTOCOL_3_0);
        params.forEach((k, v) -> {
            cstring(b, k);
            cstring(b, v);
        });
        b.writeByte(0);
        b.setInt(0, b.writerIndex());
        return b;
    }

    public static ByteBuf cancelRequest(ByteBufAllocator alloc, int pid, int key) {
        ByteBuf b = alloc.buffer(16);
        b.writeInt(16).writeInt(PgProtocol.CANCEL_REQUEST_CODE).writeInt(pid).writeInt(key);
        return b;
    }

    public static ByteBuf passwordMessage(ByteBufAllocator alloc, String password) {
        ByteBuf b = alloc.buffer(password.length() + 8);
        b.writeByte(PgProtocol.PASSWORD_MESSAGE).writeInt(0);
        cstring(b, password);
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    public static ByteBuf saslInitialResponse(ByteBufAllocator alloc, String mechanism, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(64 + d.length);
        b.writeByte(PgProtocol.PASSWORD_MESSAGE).writeInt(0);
        cstring(b, mechanism);
        b.writeInt(d.length).writeBytes(d);
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    public static ByteBuf saslResponse(ByteBufAllocator alloc, String data) {
        byte[] d = data.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(5 + d.length);
        b.writeByte(PgProtocol.PASSWORD_MESSAGE).writeInt(4 + d.length).writeBytes(d);
        return b;
    }

    public static ByteBuf query(ByteBufAllocator alloc, String sql) {
        ByteBuf b = alloc.buffer(sql.length() + 8);
        b.writeByte(PgProtocol.QUERY).writeInt(0);
        cstring(b, sql);
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    /** Parse of statement {@code name}; {@code queryAndTypes} is the rest of a Parse body (query, types). */
    public static ByteBuf parse(ByteBufAllocator alloc, String name, byte[] queryAndTypes) {
        ByteBuf b = alloc.buffer(5 + name.length() + 1 + queryAndTypes.length);
        b.writeByte(PgProtocol.PARSE).writeInt(0);
        cstring(b, name);
        b.writeBytes(queryAndTypes);
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    /** Close of a statement ('S') or portal ('P'). */
    public static ByteBuf close(ByteBufAllocator alloc, byte kind, String name) {
        return kindAndName(alloc, PgProtocol.CLOSE, kind, name);
    }

    /** Describe of a statement ('S') or portal ('P'). */
    public static ByteBuf describe(ByteBufAllocator alloc, byte kind, String name) {
        return kindAndName(alloc, PgProtocol.DESCRIBE, kind, name);
    }

    private static ByteBuf kindAndName(ByteBufAllocator alloc, byte type, byte kind, String name) {
        ByteBuf b = alloc.buffer(7 + name.length());
        b.writeByte(type).writeInt(0).writeByte(kind);
        cstring(b, name);
        b.setInt(1, b.writerIndex() - 1);
        return b;
    }

    /**
     * Parse, Bind, Execute and Sync of the unnamed statement {@code sql} with one text parameter: the parameter travels
     * apart from the SQL (auth_query's {@code $1}), so no value can change what the statement does.
     */
    public static ByteBuf extendedQuery(ByteBufAllocator alloc, String sql, String parameter) {
        byte[] value = parameter.getBytes(StandardCharsets.UTF_8);
        ByteBuf b = alloc.buffer(64 + sql.length() * 3 + value.length);
        int start = b.writerIndex();
        b.writeByte(PgProtocol.PARSE).writeInt(0).writeByte(0); // unnamed statement
        cstring(b, sql);
        b.writeShort(0); // parameter types: inferred
        b.setInt(start + 1, b.writerIndex() - start - 1);
        start = b.writerIndex();
        b.writeByte(PgProtocol.BIND).writeInt(0).writeByte(0).writeByte(0); // unnamed portal and statement
        b.writeShort(0); // parameter formats: all text
        b.writeShort(1).writeInt(value.length).writeBytes(value);
        b.writeShort(0); // result formats: all text
        b.setInt(start + 1, b.writerIndex() - start - 1);
        b.writeByte(PgProtocol.EXECUTE).writeInt(9).writeByte(0).writeInt(0); // unnamed portal, every row
        b.writeByte(PgProtocol.SYNC).writeInt(4);
        return b;
    }

    public static ByteBuf terminate(ByteBufAllocator alloc) {
        return alloc.buffer(5).writeByte(PgProtocol.TERMINATE).writeInt(4);
    }

    private static void cstring(ByteBuf b, String s) {
        b.writeCharSequence(s, StandardCharsets.UTF_8);
        b.writeByte(0);
    }
}

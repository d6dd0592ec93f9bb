package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes one admin console answer: RowDescription, DataRows, CommandComplete, ReadyForQuery — PgBouncer's
 * pktbuf_write_RowDescription/DataRow with its column types (text, int4, int8; PgBouncer sends its timestamp columns as text).
 */
final class ResultSetWriter {
    /** Column types by PostgreSQL OID, as PgBouncer's format letters s, i, q, N (its T, a time, is text too). */
    enum Type {
        TEXT(25, -1), INT4(23, 4), INT8(20, 8),
        /** PgBouncer's 'N': 64-bit counters sent as numeric, so no client overflows a signed type. */
        NUMERIC(1700, -1);

        final int oid;
        final int size;

        Type(int oid, int size) {
            this.oid = oid;
            this.size = size;
        }
    }

    record Column(String name, Type type) {}

    static Column text(String name) {
        return new Column(name, Type.TEXT);
    }

    static Column int4(String name) {
        return new Column(name, Type.INT4);
    }

    static Column int8(String name) {
        return new Column(name, Type.INT8);
    }

    static Column numeric(String name) {
        return new Column(name, Type.NUMERIC);
    }

    private final ByteBuf out;
    private final int columns;

    ResultSetWriter(ByteBuf out, List<Column> columns) {
        this.out = out;
        this.columns = columns.size();
        int start = out.writerIndex();
        out.writeByte('T').writeInt(0).writeShort(columns.size());
        for (Column c : columns) {
            out.writeCharSequence(c.name(), StandardCharsets.UTF_8);
            out.writeByte(0);
            out.writeInt(0).writeShort(0); // no table, no attribute number
            out.writeInt(c.type().oid).writeShort(c.type().size).writeInt(-1).writeShort(0); // text format
        }
        out.setInt(start + 1, out.writerIndex() - start - 1);
    }

    /** One row; values are written as text, {@code null} as SQL NULL. */
    ResultSetWriter row(Object... values) {
        if (values.length != columns) {
            throw new IllegalArgumentException("row has " + values.length + " values for " + columns + " columns");
        }
        int start = out.writerIndex();
        out.writeByte('D').writeInt(0).writeShort(values.length);
        for (Object v : values) {
            if (v == null) {
                out.writeInt(-1);
            } else {
                byte[] b = v.toString().getBytes(StandardCharsets.UTF_8);
                out.writeInt(b.length).writeBytes(b);
            }
        }
        out.setInt(start + 1, out.writerIndex() - start - 1);
        return this;
    }

    /** CommandComplete with {@code tag} and ReadyForQuery. */
    static void complete(ByteBuf out, String tag) {
        int start = out.writerIndex();
        out.writeByte('C').writeInt(0);
        out.writeCharSequence(tag, StandardCharsets.UTF_8);
        out.writeByte(0);
        out.setInt(start + 1, out.writerIndex() - start - 1);
        BackendMessages.writeReadyForQuery(out, PgProtocol.TX_IDLE);
    }

    /** PgBouncer's admin_error: an ERROR (not FATAL) with SQLSTATE 08P01, then ReadyForQuery; the session goes on. */
    static void error(ByteBuf out, String message) {
        BackendMessages.writeErrorOrNotice(out, PgProtocol.ERROR_RESPONSE, "ERROR", PgProtocol.PROTOCOL_VIOLATION, message);
        BackendMessages.writeReadyForQuery(out, PgProtocol.TX_IDLE);
    }
}

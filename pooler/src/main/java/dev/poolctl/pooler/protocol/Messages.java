package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the fields of the few messages the pooler decodes. Each method takes a whole frame (type byte first). */
public final class Messages {
    private Messages() {}

    /** Body offset of a typed frame: type byte + length word. */
    public static final int BODY = 5;

    public static byte readyForQueryStatus(ByteBuf frame) {
        return frame.getByte(frame.readerIndex() + BODY);
    }

    public static int authCode(ByteBuf frame) {
        return frame.getInt(frame.readerIndex() + BODY);
    }

    /** Bytes after the auth code (the md5 salt, the SASL data). */
    public static byte[] authData(ByteBuf frame) {
        int from = frame.readerIndex() + BODY + 4;
        byte[] data = new byte[frame.writerIndex() - from];
        frame.getBytes(from, data);
        return data;
    }

    /** ParameterStatus: name and value. */
    public static String[] parameterStatus(ByteBuf frame) {
        int p = frame.readerIndex() + BODY;
        int nameEnd = frame.indexOf(p, frame.writerIndex(), (byte) 0);
        int valueEnd = frame.indexOf(nameEnd + 1, frame.writerIndex(), (byte) 0);
        if (nameEnd < 0 || valueEnd < 0) {
            return new String[] {"", ""};
        }
        return new String[] {
            frame.toString(p, nameEnd - p, StandardCharsets.UTF_8),
            frame.toString(nameEnd + 1, valueEnd - nameEnd - 1, StandardCharsets.UTF_8)
        };
    }

    /** DataRow: each column as text (null for SQL NULL); only for the pooler's own small answers. */
    public static String[] dataRowTexts(ByteBuf frame) {
        int p = frame.readerIndex() + BODY;
        int n = frame.getUnsignedShort(p);
        p += 2;
        String[] values = new String[n];
        for (int i = 0; i < n; i++) {
            int len = frame.getInt(p);
            p += 4;
            if (len >= 0) {
                values[i] = frame.toString(p, len, StandardCharsets.UTF_8);
                p += len;
            }
        }
        return values;
    }

    /** ErrorResponse/NoticeResponse fields by their one-letter codes ('S', 'C', 'M', ...). */
    public static Map<Character, String> errorFields(ByteBuf frame) {
        Map<Character, String> fields = new LinkedHashMap<>();
        int p = frame.readerIndex() + BODY;
        while (p < frame.writerIndex()) {
            byte code = frame.getByte(p);
            if (code == 0) {
                break;
            }
            int end = frame.indexOf(p + 1, frame.writerIndex(), (byte) 0);
            if (end < 0) {
                break;
            }
            fields.put((char) code, frame.toString(p + 1, end - p - 1, StandardCharsets.UTF_8));
            p = end + 1;
        }
        return fields;
    }

    /** The body of a PasswordMessage / SASL response as text (without a trailing NUL). */
    public static String passwordText(ByteBuf frame) {
        int from = frame.readerIndex() + BODY;
        int to = frame.writerIndex();
        if (to > from && frame.getByte(to - 1) == 0) {
            to--;
        }
        return frame.toString(from, to - from, StandardCharsets.UTF_8);
    }

    /** SASLInitialResponse: mechanism name and the initial client data (null when the length is -1). */
    public static String[] saslInitialResponse(ByteBuf frame) throws PgProtocolException {
        int p = frame.readerIndex() + BODY;
        int end = frame.indexOf(p, frame.writerIndex(), (byte) 0);
        if (end < 0 || end + 5 > frame.writerIndex()) {
            throw new PgProtocolException("malformed SASLInitialResponse");
        }
        String mechanism = frame.toString(p, end - p, StandardCharsets.UTF_8);
        int len = frame.getInt(end + 1);
        if (len == -1) {
            return new String[] {mechanism, null};
        }
        if (len < 0 || len > frame.writerIndex() - (end + 5)) {
            throw new PgProtocolException("malformed SASLInitialResponse");
        }
        return new String[] {mechanism, frame.toString(end + 5, len, StandardCharsets.UTF_8)};
    }

    /** The mechanisms listed in AuthenticationSASL. */
    public static java.util.List<String> saslMechanisms(ByteBuf frame) {
        java.util.List<String> out = new java.util.ArrayList<>();
        int p = frame.readerIndex() + BODY + 4;
        while (p < frame.writerIndex()) {
            int end = frame.indexOf(p, frame.writerIndex(), (byte) 0);
            if (end < 0 || end == p) {
                break;
            }
            out.add(frame.toString(p, end - p, StandardCharsets.UTF_8));
            p = end + 1;
        }
        return out;
    }

    /** Index of the NUL ending the string that starts at {@code from}; a frame without one is malformed. */
    public static int cstringEnd(ByteBuf frame, int from) throws PgProtocolException {
        int end = from < frame.writerIndex() ? frame.indexOf(from, frame.writerIndex(), (byte) 0) : -1;
        if (end < 0) {
            throw new PgProtocolException("invalid message format: unterminated string in '"
                    + (char) frame.getByte(frame.readerIndex()) + "' message");
        }
        return end;
    }

    /** CommandComplete of DISCARD ALL or DEALLOCATE ALL: the server dropped every prepared statement. */
    public static boolean droppedAllStatements(ByteBuf frame) {
        int length = frame.readableBytes() - BODY;
        return (length == DISCARD_ALL.length && equalsAt(frame, DISCARD_ALL))
                || (length == DEALLOCATE_ALL.length && equalsAt(frame, DEALLOCATE_ALL));
    }

    private static final byte[] DISCARD_ALL = "DISCARD ALL\0".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] DEALLOCATE_ALL = "DEALLOCATE ALL\0".getBytes(StandardCharsets.US_ASCII);

    private static boolean equalsAt(ByteBuf frame, byte[] expected) {
        int p = frame.readerIndex() + BODY;
        for (int i = 0; i < expected.length; i++) {
            if (frame.getByte(p + i) != expected[i]) {
                return false;
            }
        }
        return true;
    }

    public static int backendKeyPid(ByteBuf frame) {
        return frame.getInt(frame.readerIndex() + BODY);
    }

    public static int backendKeySecret(ByteBuf frame) {
        return frame.getInt(frame.readerIndex() + BODY + 4);
    }
}

package dev.poolctl.pooler.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** The untyped packets a client may send first: PgBouncer's pseudo-types PKT_STARTUP, PKT_SSLREQ, PKT_CANCEL... */
public sealed interface StartupPacket {

    record SslRequest() implements StartupPacket {}

    record GssEncRequest() implements StartupPacket {}

    record CancelRequest(int pid, int key) implements StartupPacket {}

    /**
     * A v3 StartupMessage; {@code minorVersion} is the 3.x minor the client asked for (libpq 18 may ask for 3.2),
     * answered with NegotiateProtocolVersion when above what the pooler speaks (3.0).
     */
    record StartupMessage(Map<String, String> parameters, int minorVersion) implements StartupPacket {
        public StartupMessage(Map<String, String> parameters) {
            this(parameters, 0);
        }

        public String user() {
            return parameters.getOrDefault("user", "");
        }

        /** PostgreSQL's rule: the database defaults to the user name. */
        public String database() {
            String db = parameters.get("database");
            return db == null || db.isEmpty() ? user() : db;
        }
    }

    /** Needs a length word first; answers how many bytes the whole packet has, or -1 for not enough bytes yet. */
    static int peekLength(ByteBuf in) {
        return in.readableBytes() < 4 ? -1 : in.getInt(in.readerIndex());
    }

    /**
     * Parses one complete packet ({@code frame} holds exactly its bytes).
     *
     * @throws PgProtocolException with PgBouncer-like wording for anything that is not a v3 startup packet
     */
    static StartupPacket parse(ByteBuf frame) throws PgProtocolException {
        int length = frame.readInt();
        if (length < 8) {
            throw new PgProtocolException("bad packet header");
        }
        int code = frame.readInt();
        switch (code) {
            case PgProtocol.SSL_REQUEST_CODE:
                return new SslRequest();
            case PgProtocol.GSSENC_REQUEST_CODE:
                return new GssEncRequest();
            case PgProtocol.CANCEL_REQUEST_CODE:
                if (length != 16) {
                    throw new PgProtocolException("bad cancel request");
                }
                return new CancelRequest(frame.readInt(), frame.readInt());
            default:
                int major = code >>> 16;
                int minor = code & 0xffff;
                if (major == 2 && minor == 0) {
                    throw new PgProtocolException("old V2 protocol not supported"); // PgBouncer's wording
                }
                if (major != 3) {
                    // PostgreSQL's wording (ProcessStartupPacket) for a major it does not speak.
                    throw new PgProtocolException("unsupported frontend protocol " + major + "." + minor
                            + ": server supports 3.0 to 3.0");
                }
                return new StartupMessage(parameters(frame), minor);
        }
    }

    private static Map<String, String> parameters(ByteBuf frame) throws PgProtocolException {
        Map<String, String> params = new LinkedHashMap<>();
        while (true) {
            String name = cstring(frame);
            if (name.isEmpty()) {
                break;
            }
            params.put(name, cstring(frame));
        }
        if (!params.containsKey("user") || params.get("user").isEmpty()) {
            throw new PgProtocolException("no username supplied");
        }
        return Collections.unmodifiableMap(params);
    }

    private static String cstring(ByteBuf frame) throws PgProtocolException {
        int end = frame.indexOf(frame.readerIndex(), frame.writerIndex(), (byte) 0);
        if (end < 0) {
            throw new PgProtocolException("bad startup packet");
        }
        String s = frame.toString(frame.readerIndex(), end - frame.readerIndex(), StandardCharsets.UTF_8);
        frame.readerIndex(end + 1);
        return s;
    }
}

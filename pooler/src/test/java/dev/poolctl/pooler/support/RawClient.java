package dev.poolctl.pooler.support;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PostgreSQL client that speaks raw bytes, for what real drivers never send: garbage instead of a startup
 * packet, absurd lengths, SSLRequest glued to a startup packet, unknown startup parameters. It can also log
 * in (trust, cleartext or md5; not SCRAM) and run simple queries, so a test can watch the exact messages the
 * pooler sends (ErrorResponse fields, the moment the socket is closed).
 *
 * <p>Every read is bounded by the socket timeout given at {@link #connect}; a read that times out throws
 * {@link SocketTimeoutException}, so a test never hangs on a pooler that does not answer.
 */
public final class RawClient implements AutoCloseable {

    /** One backend message: type byte and body (without the length word). */
    public record Message(char type, byte[] body) {
        public boolean isError() {
            return type == 'E';
        }

        /** ErrorResponse / NoticeResponse fields by code (S, V, C, M, ...), in wire order. */
        public Map<Character, String> fields() {
            Map<Character, String> f = new LinkedHashMap<>();
            int i = 0;
            while (i < body.length && body[i] != 0) {
                char code = (char) body[i++];
                int end = i;
                while (end < body.length && body[end] != 0) {
                    end++;
                }
                f.put(code, new String(body, i, end - i, StandardCharsets.UTF_8));
                i = end + 1;
            }
            return f;
        }

        /** Authentication request code of an 'R' message. */
        public int authCode() {
            return ByteBuffer.wrap(body, 0, 4).getInt();
        }

        /** Transaction status of a ReadyForQuery. */
        public char txStatus() {
            return (char) body[0];
        }

        @Override
        public String toString() {
            return type == 'E' || type == 'N' ? type + fields().toString() : type + "[" + body.length + " bytes]";
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    private RawClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = new DataInputStream(socket.getInputStream());
        this.out = socket.getOutputStream();
    }

    /** Connects over TCP; every later read waits at most {@code readTimeout}. */
    /**
     * Asserts that {@code m} is the pooler's own FATAL 08P01 ErrorResponse with {@code expectedMessage} and only the
     * fields PgBouncer sends (S, C, M): how the pooler ends a client (timeouts, bad input).
     */
    public static void assertPoolerFatal(Message m, String expectedMessage) {
        org.junit.jupiter.api.Assertions.assertNotNull(m,
                "expected an ErrorResponse '" + expectedMessage + "', the connection was closed instead");
        org.junit.jupiter.api.Assertions.assertEquals('E', m.type(), "expected an ErrorResponse, got " + m);
        Map<Character, String> f = m.fields();
        org.junit.jupiter.api.Assertions.assertEquals(List.of('S', 'C', 'M'), List.copyOf(f.keySet()), "fields of " + m);
        org.junit.jupiter.api.Assertions.assertEquals("FATAL", f.get('S'), m.toString());
        org.junit.jupiter.api.Assertions.assertEquals("08P01", f.get('C'), m.toString());
        org.junit.jupiter.api.Assertions.assertEquals(expectedMessage, f.get('M'), m.toString());
    }

    public static RawClient connect(String host, int port, Duration readTimeout) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 10_000);
        s.setSoTimeout((int) readTimeout.toMillis());
        return new RawClient(s);
    }

    public static RawClient connect(PoolerFixture fixture) throws IOException {
        return connect(fixture.host(), fixture.port(), Duration.ofSeconds(10));
    }

    /**
     * Connects, sends SSLRequest and, on {@code S}, continues over TLS made by {@code tls} (the handshake done);
     * every later read and write of the returned client is encrypted.
     */
    public static RawClient connectTls(PoolerFixture fixture, javax.net.ssl.SSLContext tls) throws IOException {
        RawClient plain = connect(fixture);
        plain.send(sslRequest());
        int answer = plain.readByte();
        if (answer != 'S') {
            plain.close();
            throw new IOException("the pooler answered SSLRequest with " + (char) answer);
        }
        javax.net.ssl.SSLSocket s = (javax.net.ssl.SSLSocket) tls.getSocketFactory()
                .createSocket(plain.socket, fixture.host(), fixture.port(), true);
        s.startHandshake();
        return new RawClient(s);
    }

    public Socket socket() {
        return socket;
    }

    public void setReadTimeout(Duration d) throws IOException {
        socket.setSoTimeout((int) d.toMillis());
    }

    // ---- building packets ----

    /** A v3.0 StartupMessage with the given parameters, in order. */
    public static byte[] startupPacket(Map<String, String> params) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        writeInt(body, 196608);
        params.forEach((k, v) -> {
            cstring(body, k);
            cstring(body, v);
        });
        body.write(0);
        return withLength(body.toByteArray());
    }

    public static byte[] startupPacket(String user, String database) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("user", user);
        p.put("database", database);
        return startupPacket(p);
    }

    public static byte[] sslRequest() {
        return ByteBuffer.allocate(8).putInt(8).putInt(80877103).array();
    }

    /** A typed frontend message: type, int32 length (body + 4), body. */
    public static byte[] message(char type, byte[] body) {
        return ByteBuffer.allocate(5 + body.length).put((byte) type).putInt(body.length + 4).put(body).array();
    }

    public static byte[] query(String sql) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        cstring(b, sql);
        return message('Q', b.toByteArray());
    }

    // ---- extended query protocol ----

    /** Parse of statement {@code name} (no parameter types given: the server infers them). */
    public static byte[] parse(String name, String sql) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        cstring(b, name);
        cstring(b, sql);
        b.write(0);
        b.write(0);
        return message('P', b.toByteArray());
    }

    /** Bind of {@code statement} to the unnamed portal, text parameters (null = NULL), text results. */
    public static byte[] bind(String statement, String... params) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        cstring(b, "");
        cstring(b, statement);
        b.writeBytes(new byte[] {0, 0});
        b.writeBytes(ByteBuffer.allocate(2).putShort((short) params.length).array());
        for (String p : params) {
            if (p == null) {
                writeInt(b, -1);
            } else {
                byte[] v = p.getBytes(StandardCharsets.UTF_8);
                writeInt(b, v.length);
                b.writeBytes(v);
            }
        }
        b.writeBytes(new byte[] {0, 0});
        return message('B', b.toByteArray());
    }

    /** Execute of the unnamed portal, all rows. */
    public static byte[] execute() {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        cstring(b, "");
        writeInt(b, 0);
        return message('E', b.toByteArray());
    }

    /** Describe ('S' statement or 'P' portal). */
    public static byte[] describe(char kind, String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(kind);
        cstring(b, name);
        return message('D', b.toByteArray());
    }

    /** Close ('S' statement or 'P' portal). */
    public static byte[] closeStatement(char kind, String name) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(kind);
        cstring(b, name);
        return message('C', b.toByteArray());
    }

    public static byte[] sync() {
        return message('S', new byte[0]);
    }

    /** The type letters of {@code messages} in order, e.g. "12DCZ". */
    public static String types(List<Message> messages) {
        StringBuilder t = new StringBuilder();
        messages.forEach(m -> t.append(m.type()));
        return t.toString();
    }

    public static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            b.writeBytes(p);
        }
        return b.toByteArray();
    }

    private static byte[] withLength(byte[] body) {
        return ByteBuffer.allocate(4 + body.length).putInt(4 + body.length).put(body).array();
    }

    private static void writeInt(ByteArrayOutputStream b, int v) {
        b.writeBytes(ByteBuffer.allocate(4).putInt(v).array());
    }

    private static void cstring(ByteArrayOutputStream b, String s) {
        b.writeBytes(s.getBytes(StandardCharsets.UTF_8));
        b.write(0);
    }

    // ---- I/O ----

    /** Writes {@code bytes} in one write call (one TCP segment on loopback for small packets). */
    public RawClient send(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
        return this;
    }

    /** One raw byte (e.g. the answer to SSLRequest), or -1 at end of stream. */
    public int readByte() throws IOException {
        return in.read();
    }

    /** The next backend message; null when the pooler closed the connection (EOF or reset). */
    public Message read() throws IOException {
        int type;
        try {
            type = in.read();
        } catch (SocketException e) {
            return null; // connection reset: closed
        }
        if (type < 0) {
            return null;
        }
        try {
            int length = in.readInt();
            if (length < 4 || length > 64 * 1024 * 1024) {
                throw new IOException("implausible backend message length " + length + " for type '" + (char) type + "'");
            }
            byte[] body = new byte[length - 4];
            in.readFully(body);
            return new Message((char) type, body);
        } catch (EOFException e) {
            throw new IOException("connection closed in the middle of a '" + (char) type + "' message", e);
        }
    }

    /** Reads messages up to and including the first of {@code type}; fails on EOF first. */
    public List<Message> readUntil(char type) throws IOException {
        List<Message> got = new ArrayList<>();
        while (true) {
            Message m = read();
            if (m == null) {
                throw new IOException("connection closed before a '" + type + "' message; got " + got);
            }
            got.add(m);
            if (m.type() == type) {
                return got;
            }
        }
    }

    /**
     * Reads until an ErrorResponse and returns it; throws if the connection closes first, or something other
     * than an ErrorResponse / NoticeResponse / ParameterStatus arrives.
     */
    public Message readError() throws IOException {
        List<Message> got = new ArrayList<>();
        while (true) {
            Message m = read();
            if (m == null) {
                throw new IOException("connection closed without an ErrorResponse; got " + got);
            }
            if (m.isError()) {
                return m;
            }
            got.add(m);
            if (m.type() != 'N' && m.type() != 'S') {
                throw new IOException("expected an ErrorResponse, got " + got);
            }
        }
    }

    /**
     * True once the pooler has closed the connection (EOF or reset) within {@code timeout}; any bytes that still
     * arrive are skipped. False if it stays open.
     */
    public boolean awaitClosed(Duration timeout) throws IOException {
        int old = socket.getSoTimeout();
        long deadline = System.nanoTime() + timeout.toNanos();
        byte[] skip = new byte[8192];
        try {
            InputStream raw = socket.getInputStream();
            while (true) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                socket.setSoTimeout((int) Math.max(1, left));
                try {
                    if (raw.read(skip) < 0) {
                        return true;
                    }
                } catch (SocketTimeoutException e) {
                    return false;
                } catch (SocketException e) {
                    return true; // reset
                }
            }
        } finally {
            if (!socket.isClosed()) {
                socket.setSoTimeout(old);
            }
        }
    }

    // ---- login and queries ----

    /**
     * Sends a startup packet and answers trust, cleartext or md5; returns the messages up to ReadyForQuery.
     * Fails (IOException with the error's fields) if the pooler answers an ErrorResponse.
     */
    public List<Message> login(String user, String password, String database) throws IOException {
        send(startupPacket(user, database));
        return finishLogin(user, password);
    }

    /** The authentication part of a login whose startup packet was already sent. */
    public List<Message> finishLogin(String user, String password) throws IOException {
        List<Message> got = new ArrayList<>();
        while (true) {
            Message m = read();
            if (m == null) {
                throw new IOException("connection closed during login; got " + got);
            }
            got.add(m);
            switch (m.type()) {
                case 'E' -> throw new IOException("login failed: " + m.fields());
                case 'R' -> {
                    int code = m.authCode();
                    if (code == 3) {
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        cstring(b, password);
                        send(message('p', b.toByteArray()));
                    } else if (code == 5) {
                        byte[] salt = new byte[4];
                        System.arraycopy(m.body(), 4, salt, 0, 4);
                        ByteArrayOutputStream b = new ByteArrayOutputStream();
                        cstring(b, md5Response(user, password, salt));
                        send(message('p', b.toByteArray()));
                    } else if (code != 0) {
                        throw new IOException("RawClient cannot answer authentication request " + code);
                    }
                }
                case 'Z' -> {
                    return got;
                }
                default -> { } // ParameterStatus, BackendKeyData, notices
            }
        }
    }

    /** Simple query; the messages up to and including ReadyForQuery. */
    public List<Message> simpleQuery(String sql) throws IOException {
        send(query(sql));
        return readUntil('Z');
    }

    /** The text of the first column of every DataRow in {@code messages}. */
    public static List<String> firstColumn(List<Message> messages) {
        List<String> values = new ArrayList<>();
        for (Message m : messages) {
            if (m.type() == 'D') {
                ByteBuffer b = ByteBuffer.wrap(m.body());
                b.getShort();
                int len = b.getInt();
                values.add(len < 0 ? null : new String(m.body(), 6, len, StandardCharsets.UTF_8));
            }
        }
        return values;
    }

    /** The md5 PasswordMessage text: {@code "md5" + md5hex(md5hex(password + user) + salt)}. */
    public static String md5Response(String user, String password, byte[] salt) {
        String inner = md5Hex((password + user).getBytes(StandardCharsets.UTF_8));
        byte[] innerBytes = inner.getBytes(StandardCharsets.US_ASCII);
        byte[] salted = new byte[innerBytes.length + salt.length];
        System.arraycopy(innerBytes, 0, salted, 0, innerBytes.length);
        System.arraycopy(salt, 0, salted, innerBytes.length, salt.length);
        return "md5" + md5Hex(salted);
    }

    private static String md5Hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}

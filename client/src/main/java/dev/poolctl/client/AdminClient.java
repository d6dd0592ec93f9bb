package dev.poolctl.client;

import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * A small blocking simple-query client for the admin console ({@code pgbouncer} virtual database) of poolctl or
 * PgBouncer, built on the pooler's protocol writers and readers and its md5/SCRAM code.
 *
 * <p>{@link #connect} sends the StartupMessage, answers AuthenticationCleartext, MD5 or SASL (SCRAM-SHA-256) and
 * waits for ReadyForQuery. {@link #query} sends one Query and collects RowDescription, DataRows, CommandComplete and
 * notices until ReadyForQuery; an ErrorResponse becomes {@link AdminException} and the session stays usable, as the
 * console goes on after an error. Frames are read whole, at most {@link #MAX_FRAME} bytes. Not thread-safe.
 */
public final class AdminClient implements AutoCloseable {
    /** Largest backend frame accepted; the console's rows are small, so more is a broken stream. */
    public static final int MAX_FRAME = 16 * 1024 * 1024;

    private static final ByteBufAllocator ALLOC = new UnpooledByteBufAllocator(false);
    private static final byte ROW_DESCRIPTION = 'T';
    private static final byte DATA_ROW = 'D';
    private static final byte COMMAND_COMPLETE = 'C';
    private static final byte EMPTY_QUERY = 'I';

    /** One query's answer: the last result set's columns and rows, its command tag, and NOTICE messages. */
    public record Result(List<String> columns, List<Integer> typeOids, List<List<String>> rows, String commandTag,
            List<String> notices) {
        public Result {
            columns = List.copyOf(columns);
            typeOids = List.copyOf(typeOids);
            rows = Collections.unmodifiableList(new ArrayList<>(rows));
            notices = List.copyOf(notices);
        }
    }

    /** Where and as whom to connect. {@code host} starting with '/' is a unix socket directory. */
    public record Target(String host, int port, String user) {
        public Target {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(user, "user");
        }

        public boolean isUnixSocket() {
            return host.startsWith("/");
        }

        /** {@code host:port}, or the socket file for a unix socket. */
        public String describe() {
            return isUnixSocket() ? socketFile().toString() : host + ":" + port;
        }

        public Path socketFile() {
            return Path.of(host, ".s.PGSQL." + port);
        }
    }

    private final WireTransport wire;
    private final Target target;
    private final int readTimeoutMillis;
    private final Map<String, String> parameters = new LinkedHashMap<>();
    private final List<String> loginNotices = new ArrayList<>();
    private boolean closed;

    private AdminClient(WireTransport wire, Target target, int readTimeoutMillis) {
        this.wire = wire;
        this.target = target;
        this.readTimeoutMillis = readTimeoutMillis;
    }

    /**
     * Logs in to {@code database} of any PostgreSQL server (config check --online tries the [databases] entries'
     * logins), then the caller closes it; the same protocol and authentication as the console's.
     */
    public static AdminClient connect(Target target, String database, Function<String, String> password,
            int connectTimeoutMillis) throws IOException, AdminException {
        return connect(target, database, password, connectTimeoutMillis, connectTimeoutMillis);
    }

    /**
     * Connects and logs in to database {@code pgbouncer}.
     *
     * @param password asked only when the pooler wants a password; gets the user, returns null when there is none
     * @param connectTimeoutMillis bounds the TCP connect and each read during login
     * @param readTimeoutMillis bounds each read during a query (0 = wait as long as the command takes)
     * @throws ConnectFailedException nothing listens there
     * @throws AdminException the pooler refused the login (ErrorResponse)
     * @throws IOException the connection broke or the pooler spoke nonsense
     */
    public static AdminClient connect(Target target, Function<String, String> password, int connectTimeoutMillis,
            int readTimeoutMillis) throws IOException, AdminException {
        return connect(target, "pgbouncer", password, connectTimeoutMillis, readTimeoutMillis);
    }

    /**
     * As {@code pg_isready}: whether a pooler (or any PostgreSQL server) answers a startup there, without logging in.
     * Returns what it answered first: {@code logged in}, {@code asks for a password}, or its error message (a refusal
     * is an answer too: the process is up).
     *
     * @throws ConnectFailedException nothing listens there
     * @throws IOException no answer within the timeout, or not the PostgreSQL protocol
     */
    public static String ping(Target target, int timeoutMillis) throws IOException {
        WireTransport wire = open(target, timeoutMillis);
        AdminClient c = new AdminClient(wire, target, timeoutMillis);
        try {
            wire.readTimeout(timeoutMillis);
            c.sendStartup("pgbouncer", "poolctl status --ping");
            ByteBuf frame = c.readFrame();
            return switch (frame.getByte(0)) {
                case PgProtocol.AUTHENTICATION -> Messages.authCode(frame) == PgProtocol.AUTH_OK ? "logged in"
                        : "asks for a password";
                case PgProtocol.ERROR_RESPONSE -> error(frame).getMessage();
                default -> throw new IOException("protocol error: unexpected message '" + (char) frame.getByte(0)
                        + "' after a startup");
            };
        } finally {
            c.closed = true;
            wire.close();
        }
    }

    private static WireTransport open(Target target, int connectTimeoutMillis) throws ConnectFailedException {
        if (target.isUnixSocket()) {
            Path file = target.socketFile();
            if (!Files.exists(file)) {
                throw new ConnectFailedException("cannot connect to " + file + ": no such socket", null);
            }
            return WireTransport.unix(file);
        }
        return WireTransport.tcp(target.host(), target.port(), connectTimeoutMillis);
    }

    private static AdminClient connect(Target target, String database, Function<String, String> password,
            int connectTimeoutMillis, int readTimeoutMillis) throws IOException, AdminException {
        WireTransport wire = open(target, connectTimeoutMillis);
        AdminClient c = new AdminClient(wire, target, readTimeoutMillis);
        try {
            wire.readTimeout(connectTimeoutMillis);
            c.login(database, password);
            wire.readTimeout(readTimeoutMillis);
            return c;
        } catch (IOException | AdminException | RuntimeException e) {
            c.closed = true;
            wire.close();
            throw e;
        }
    }

    public Target target() {
        return target;
    }

    /** ParameterStatus values received so far (server_version, client_encoding, ...). */
    public Map<String, String> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /** NOTICE messages sent during login. */
    public List<String> loginNotices() {
        return List.copyOf(loginNotices);
    }

    private void login(String database, Function<String, String> password) throws IOException, AdminException {
        sendStartup(database, "poolctl");
        ScramClientExchange scram = null;
        String pw = null;
        while (true) {
            ByteBuf frame = readFrame();
            byte type = frame.getByte(0);
            switch (type) {
                case PgProtocol.AUTHENTICATION -> {
                    int code = Messages.authCode(frame);
                    switch (code) {
                        case PgProtocol.AUTH_OK -> { }
                        case PgProtocol.AUTH_CLEARTEXT -> {
                            pw = pw != null ? pw : requirePassword(password);
                            send(FrontendMessages.passwordMessage(ALLOC, pw));
                        }
                        case PgProtocol.AUTH_MD5 -> {
                            pw = pw != null ? pw : requirePassword(password);
                            byte[] salt = Messages.authData(frame);
                            String answer = Md5Password.challengeResponse(Md5Password.encrypt(pw, target.user()), salt);
                            send(FrontendMessages.passwordMessage(ALLOC, answer));
                        }
                        case PgProtocol.AUTH_SASL -> {
                            List<String> mechanisms = Messages.saslMechanisms(frame);
                            if (!mechanisms.contains("SCRAM-SHA-256")) {
                                throw new IOException("the pooler offers no supported SASL mechanism: " + mechanisms);
                            }
                            pw = pw != null ? pw : requirePassword(password);
                            scram = ScramClientExchange.forPassword(pw);
                            send(FrontendMessages.saslInitialResponse(ALLOC, "SCRAM-SHA-256", scram.clientFirst()));
                        }
                        case PgProtocol.AUTH_SASL_CONTINUE -> {
                            if (scram == null) {
                                throw new IOException("protocol error: SASL continue without SASL");
                            }
                            try {
                                String clientFinal = scram.clientFinal(text(Messages.authData(frame)));
                                send(FrontendMessages.saslResponse(ALLOC, clientFinal));
                            } catch (ScramException e) {
                                throw new AdminException(e.sqlState(), e.getMessage());
                            } catch (IllegalStateException e) {
                                throw new IOException("protocol error: unexpected SASL continue", e);
                            }
                        }
                        case PgProtocol.AUTH_SASL_FINAL -> {
                            if (scram == null) {
                                throw new IOException("protocol error: SASL final without SASL");
                            }
                            try {
                                scram.verifyServerFinal(text(Messages.authData(frame)));
                            } catch (ScramException e) {
                                throw new AdminException(e.sqlState(), e.getMessage());
                            } catch (IllegalStateException e) {
                                throw new IOException("protocol error: unexpected SASL final", e);
                            }
                        }
                        default -> throw new IOException("unsupported authentication request " + code
                                + " (poolctl answers cleartext, md5 and SCRAM-SHA-256)");
                    }
                }
                case PgProtocol.PARAMETER_STATUS -> {
                    String[] kv = Messages.parameterStatus(frame);
                    parameters.put(kv[0], kv[1]);
                }
                case PgProtocol.BACKEND_KEY_DATA, 'v' -> { } // no cancel support; NegotiateProtocolVersion: fine
                case PgProtocol.NOTICE_RESPONSE -> loginNotices.add(message(frame));
                case PgProtocol.ERROR_RESPONSE -> throw error(frame);
                case PgProtocol.READY_FOR_QUERY -> {
                    return;
                }
                default -> throw new IOException("protocol error: unexpected message '" + (char) type
                        + "' during login");
            }
        }
    }

    private void sendStartup(String database, String applicationName) throws IOException {
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", target.user());
        startup.put("database", database);
        startup.put("application_name", applicationName);
        send(FrontendMessages.startupMessage(ALLOC, startup));
    }

    /** The password for the login user, or PasswordRequiredException when there is none. */
    private String requirePassword(Function<String, String> password) throws PasswordRequiredException {
        String pw = password == null ? null : password.apply(target.user());
        if (pw == null) {
            throw new PasswordRequiredException("the pooler asks user " + target.user()
                    + " for a password; set PGPASSWORD, add it to ~/.pgpass or run in a terminal to be prompted");
        }
        return pw;
    }

    /**
     * Runs one console command and returns its answer.
     *
     * @throws AdminException the pooler answered with an ErrorResponse; the session can run the next command
     * @throws EOFException the pooler closed the connection (as PgBouncer does on SHUTDOWN)
     */
    public Result query(String sql) throws IOException, AdminException {
        if (closed) {
            throw new IOException("connection closed");
        }
        send(FrontendMessages.query(ALLOC, sql));
        List<String> columns = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        List<List<String>> rows = new ArrayList<>();
        List<String> notices = new ArrayList<>();
        String tag = "";
        AdminException error = null;
        while (true) {
            ByteBuf frame = readFrame();
            byte type = frame.getByte(0);
            switch (type) {
                case ROW_DESCRIPTION -> {
                    columns.clear();
                    types.clear();
                    rows.clear();
                    readRowDescription(frame, columns, types);
                }
                case DATA_ROW -> rows.add(readDataRow(frame));
                case COMMAND_COMPLETE -> tag = cstring(frame, Messages.BODY);
                case EMPTY_QUERY -> tag = "";
                case PgProtocol.NOTICE_RESPONSE -> notices.add(message(frame));
                case PgProtocol.ERROR_RESPONSE -> error = error != null ? error : error(frame);
                case PgProtocol.PARAMETER_STATUS -> {
                    String[] kv = Messages.parameterStatus(frame);
                    parameters.put(kv[0], kv[1]);
                }
                case PgProtocol.READY_FOR_QUERY -> {
                    if (error != null) {
                        throw error;
                    }
                    return new Result(columns, types, rows, tag, notices);
                }
                default -> throw new IOException("protocol error: unexpected message '" + (char) type + "'");
            }
        }
    }

    /** {@link #query(String)} with its own bound on each read (0 = none), for a command known to answer late. */
    public Result query(String sql, int timeoutMillis) throws IOException, AdminException {
        wire.readTimeout(timeoutMillis);
        try {
            return query(sql);
        } finally {
            if (!closed) {
                wire.readTimeout(readTimeoutMillis);
            }
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            send(FrontendMessages.terminate(ALLOC));
        } catch (IOException ignored) {
            // the pooler may already be gone
        } finally {
            wire.close();
        }
    }

    // ------------------------------------------------------------------ frames

    private void send(ByteBuf msg) throws IOException {
        try {
            wire.write(ByteBufUtil.getBytes(msg));
        } finally {
            msg.release();
        }
    }

    /** One whole typed frame (type byte, length word, body) as a heap buffer. */
    private ByteBuf readFrame() throws IOException {
        byte[] header = new byte[5];
        wire.readFully(header);
        int len = ((header[1] & 0xff) << 24) | ((header[2] & 0xff) << 16) | ((header[3] & 0xff) << 8)
                | (header[4] & 0xff);
        if (len < 4 || len > MAX_FRAME) {
            throw new IOException("protocol error: frame '" + (char) header[0] + "' of length " + len
                    + " (limit " + MAX_FRAME + ")");
        }
        byte[] frame = new byte[len + 1];
        System.arraycopy(header, 0, frame, 0, 5);
        byte[] body = new byte[len - 4];
        wire.readFully(body);
        System.arraycopy(body, 0, frame, 5, body.length);
        return Unpooled.wrappedBuffer(frame);
    }

    private static void readRowDescription(ByteBuf f, List<String> columns, List<Integer> types) throws IOException {
        int p = Messages.BODY;
        int n = f.getUnsignedShort(p);
        p += 2;
        for (int i = 0; i < n; i++) {
            int end = f.indexOf(p, f.writerIndex(), (byte) 0);
            if (end < 0 || end + 19 > f.writerIndex()) {
                throw new IOException("protocol error: malformed RowDescription");
            }
            columns.add(f.toString(p, end - p, StandardCharsets.UTF_8));
            p = end + 1;
            types.add(f.getInt(p + 6)); // table oid (4), attnum (2), type oid (4), size (2), typmod (4), format (2)
            p += 18;
        }
    }

    private static List<String> readDataRow(ByteBuf f) throws IOException {
        int p = Messages.BODY;
        int n = f.getUnsignedShort(p);
        p += 2;
        List<String> row = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            if (p + 4 > f.writerIndex()) {
                throw new IOException("protocol error: malformed DataRow");
            }
            int len = f.getInt(p);
            p += 4;
            if (len == -1) {
                row.add(null);
                continue;
            }
            if (len < 0 || p + len > f.writerIndex()) {
                throw new IOException("protocol error: malformed DataRow");
            }
            row.add(f.toString(p, len, StandardCharsets.UTF_8));
            p += len;
        }
        return row;
    }

    private static String cstring(ByteBuf f, int from) {
        int end = f.indexOf(from, f.writerIndex(), (byte) 0);
        return f.toString(from, (end < 0 ? f.writerIndex() : end) - from, StandardCharsets.UTF_8);
    }

    private static AdminException error(ByteBuf frame) {
        Map<Character, String> fields = Messages.errorFields(frame);
        return new AdminException(fields.getOrDefault('C', ""), fields.getOrDefault('M', "unknown error"));
    }

    private static String message(ByteBuf frame) {
        return Messages.errorFields(frame).getOrDefault('M', "");
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }
}

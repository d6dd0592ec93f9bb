package dev.poolctl.pooler.log;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.Socket;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.Map;

/**
 * PgBouncer's {@code syslog = 1}: each log line also goes to the local syslog daemon, as glibc's {@code syslog(3)}
 * sends it: one datagram to the unix socket {@code /dev/log} in RFC 3164's shape,
 * {@code <PRI>Dec  5 13:05:25 ident[pid]: LOG message}. Called only from the log writer thread, never from an event
 * loop. The socket is non-blocking: when the daemon cannot keep up the line is dropped and counted (glibc would
 * block every caller instead).
 */
final class Syslog implements AutoCloseable {
    static final Path DEV_LOG = Path.of("/dev/log");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("MMM ppd HH:mm:ss", Locale.ROOT);
    /** The names PgBouncer (libusual) takes for syslog_facility, with their codes. */
    private static final Map<String, Integer> FACILITIES = Map.ofEntries(
            Map.entry("user", 1), Map.entry("daemon", 3), Map.entry("auth", 4), Map.entry("authpriv", 10),
            Map.entry("local0", 16), Map.entry("local1", 17), Map.entry("local2", 18), Map.entry("local3", 19),
            Map.entry("local4", 20), Map.entry("local5", 21), Map.entry("local6", 22), Map.entry("local7", 23));

    private final Socket socket;
    private final byte[] path;
    private final String ident;
    private final int facility;
    private final long pid = ProcessHandle.current().pid();
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(PoolerLog.MAX_LINE_CHARS * 4 + 256);

    private Syslog(Socket socket, Path target, String ident, int facility) {
        this.socket = socket;
        this.path = target.toString().getBytes(StandardCharsets.UTF_8);
        this.ident = ident;
        this.facility = facility;
    }

    /**
     * A sender to {@code target} (normally {@link #DEV_LOG}); the daemon need not be running yet.
     *
     * @throws IllegalArgumentException an unknown facility name
     * @throws IOException no native unix socket support (not Linux)
     */
    static Syslog open(Path target, String ident, String facilityName) throws IOException {
        Integer facility = FACILITIES.get(facilityName.toLowerCase(Locale.ROOT));
        if (facility == null) {
            throw new IllegalArgumentException("syslog_facility: unknown facility '" + facilityName + "' (one of "
                    + new java.util.TreeSet<>(FACILITIES.keySet()) + ")");
        }
        if (!Epoll.isAvailable()) {
            throw new IOException("syslog needs Linux's native transport: " + Epoll.unavailabilityCause());
        }
        return new Syslog(Socket.newSocketDomainDgram(), target, ident, facility);
    }

    /** PgBouncer's mapping of its levels to syslog severities. */
    static int severity(PoolerLog.Level level) {
        return switch (level) {
            case FATAL -> 2; // LOG_CRIT
            case ERROR -> 3; // LOG_ERR
            case WARNING -> 4; // LOG_WARNING
            case LOG -> 6; // LOG_INFO
            case DEBUG, NOISE -> 7; // LOG_DEBUG
        };
    }

    /** The datagram for one message, as glibc formats it. */
    String datagram(PoolerLog.Level level, String message, ZonedDateTime now) {
        return "<" + (facility * 8 + severity(level)) + ">" + STAMP.format(now) + " " + ident + "[" + pid + "]: "
                + level + " " + message;
    }

    /** Sends one message; false when it was dropped (no daemon listening, or its queue full). */
    boolean send(PoolerLog.Level level, String message) {
        byte[] bytes = datagram(level, message, ZonedDateTime.now()).getBytes(StandardCharsets.UTF_8);
        buffer.clear();
        buffer.put(bytes, 0, Math.min(bytes.length, buffer.capacity()));
        buffer.flip();
        try {
            if (socket.sendToDomainSocket(buffer, 0, buffer.limit(), path) > 0) {
                return true;
            }
            return false; // EAGAIN: the daemon's queue is full
        } catch (IOException e) {
            return false; // no daemon at the socket (ENOENT, ECONNREFUSED)
        }
    }

    /** Where the datagrams go. */
    String target() {
        return new String(path, StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing a datagram socket that sent nothing pending cannot lose anything
        }
    }
}

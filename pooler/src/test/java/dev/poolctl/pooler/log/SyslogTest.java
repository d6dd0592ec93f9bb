package dev.poolctl.pooler.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.netty.channel.epoll.Epoll;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code syslog = 1}: each line also reaches a real unix datagram socket (standing in for the syslog daemon at
 * /dev/log) in glibc's shape, at PgBouncer's severities; with nobody listening the logfile says so once and keeps
 * every line.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SyslogTest {
    @TempDir
    Path dir;

    @BeforeEach
    void nativeTransport() {
        assumeTrue(Epoll.isAvailable(), "needs Linux's native transport");
    }

    @Test
    void theDatagramIsGlibcsShape() throws Exception {
        Syslog s = Syslog.open(dir.resolve("x"), "pgbouncer", "local3");
        try (s) {
            String d = s.datagram(PoolerLog.Level.WARNING, "C-1: db/u@127.0.0.1:5000 hello",
                    ZonedDateTime.of(2026, 12, 5, 9, 4, 3, 0, ZoneOffset.UTC));
            // local3 (19) * 8 + warning (4); the day is padded with a space, as %e
            assertEquals("<156>Dec  5 09:04:03 pgbouncer[" + ProcessHandle.current().pid()
                    + "]: WARNING C-1: db/u@127.0.0.1:5000 hello", d);
        }
        assertEquals(2, Syslog.severity(PoolerLog.Level.FATAL));
        assertEquals(6, Syslog.severity(PoolerLog.Level.LOG));
        assertEquals(7, Syslog.severity(PoolerLog.Level.DEBUG));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Syslog.open(dir.resolve("x"), "pgbouncer", "local9"));
        assertTrue(e.getMessage().contains("syslog_facility: unknown facility 'local9'"), e.getMessage());
    }

    @Test
    void linesReachTheDaemonSocketAndStopWhenTurnedOff() throws Exception {
        Path devLog = dir.resolve("log.sock");
        Socket daemon = Socket.newSocketDomainDgram();
        try {
            daemon.bind(new DomainSocketAddress(devLog.toString()));
            PoolerLog log = new PoolerLog(false, 0);
            try {
                log.syslog(devLog, "poolctl-test", "daemon");
                log.log("first line");
                log.error("second line");
                List<String> got = receive(daemon, 2);
                String prefix = "poolctl-test[" + ProcessHandle.current().pid() + "]: ";
                assertTrue(got.get(0).startsWith("<30>") && got.get(0).endsWith(prefix + "LOG first line"), got.get(0));
                assertTrue(got.get(1).startsWith("<27>") && got.get(1).endsWith(prefix + "ERROR second line"), got.get(1));
                log.syslog(null, "poolctl-test", "daemon");
                log.log("not to syslog");
                assertTrue(log.flush(5_000));
                assertTrue(receive(daemon, 0).isEmpty(), "syslog turned off");
            } finally {
                log.close();
            }
        } finally {
            daemon.close();
        }
    }

    @Test
    void withNoDaemonTheLogfileSaysSoOnceAndKeepsEveryLine() throws Exception {
        Path file = dir.resolve("pooler.log");
        PoolerLog log = new PoolerLog(false, 0);
        try {
            log.logfile(file);
            log.syslog(dir.resolve("nobody-listens"), "pgbouncer", "daemon");
            log.log("one");
            log.log("two");
            assertTrue(log.flush(5_000));
        } finally {
            log.close();
        }
        String text = Files.readString(file);
        assertTrue(text.contains("LOG one") && text.contains("LOG two"), text);
        assertEquals(1, text.split("syslog: cannot send to", -1).length - 1, text);
        assertFalse(text.contains("Exception"), text);
    }

    /** The datagrams that arrive within a second after the {@code expected}-th (all of them for 0). */
    private static List<String> receive(Socket socket, int expected) throws Exception {
        List<String> got = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(expected == 0 ? 1 : 10);
        while (System.nanoTime() < deadline && (expected == 0 || got.size() < expected)) {
            buf.clear();
            io.netty.channel.unix.DomainDatagramSocketAddress from = socket.recvFromDomainSocket(buf, 0, buf.capacity());
            if (from == null) {
                Thread.sleep(5); // a non-blocking socket: poll until the datagram is there or the deadline passes
                continue;
            }
            byte[] bytes = new byte[from.receivedAmount()];
            buf.get(bytes);
            got.add(new String(bytes, StandardCharsets.UTF_8));
        }
        return got;
    }
}

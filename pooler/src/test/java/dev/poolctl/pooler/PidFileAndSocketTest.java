package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FreePort;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files the daemon owns on disk: the pidfile (exclusive, never through a symlink, garbage refused, stale
 * replaced) and the unix socket (its lock file keeps a second pooler off it; mode and group applied). No PostgreSQL
 * is needed: the daemon starts and listens without connecting to a server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PidFileAndSocketTest {
    @TempDir
    Path dir;
    private final List<PoolerDaemon> started = new ArrayList<>();

    @AfterEach
    void stopAll() throws InterruptedException {
        for (PoolerDaemon d : started) {
            d.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
            d.awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    private Path ini(String name, int port, String... settings) throws IOException {
        List<String> lines = new ArrayList<>(List.of("[databases]", "db = host=127.0.0.1 port=1 dbname=db", "[pgbouncer]",
                "listen_port = " + port, "unix_socket_dir = " + dir, "auth_type = trust"));
        lines.addAll(List.of(settings));
        Path ini = dir.resolve(name);
        Files.writeString(ini, String.join("\n", lines) + "\n");
        return ini;
    }

    private PoolerDaemon start(Path ini) throws Exception {
        PoolerDaemon d = PoolerDaemon.start(ini, true, 0);
        started.add(d);
        return d;
    }

    private static long deadPid() throws Exception {
        Process p = new ProcessBuilder("true").start();
        assertTrue(p.waitFor(10, TimeUnit.SECONDS));
        return p.pid();
    }

    private Path pidfile() {
        return dir.resolve("pooler.pid");
    }

    private Path startWithPidfile() throws Exception {
        return ini("p.ini", FreePort.find(), "listen_addr = 127.0.0.1", "pidfile = " + pidfile());
    }

    @Test
    void pidfileHoldsOurPidAndGoesAtExit() throws Exception {
        PoolerDaemon d = start(startWithPidfile());
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidfile()));
        d.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
        assertTrue(d.awaitTermination(10, TimeUnit.SECONDS));
        assertFalse(Files.exists(pidfile()));
    }

    @Test
    void stalePidfileWithADeadPidIsReplaced() throws Exception {
        Files.writeString(pidfile(), deadPid() + "\n");
        start(startWithPidfile());
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(pidfile()));
    }

    @Test
    void pidfileOfALiveProcessRefusesTheStart() throws Exception {
        Process sleeper = new ProcessBuilder("sleep", "30").start();
        try {
            Files.writeString(pidfile(), sleeper.pid() + "\n");
            IOException e = assertThrows(IOException.class, () -> start(startWithPidfile()));
            assertTrue(e.getMessage().contains("another instance running? (pid " + sleeper.pid() + ")"), e.getMessage());
            assertEquals(sleeper.pid() + "\n", Files.readString(pidfile()));
        } finally {
            sleeper.destroyForcibly();
        }
    }

    @Test
    void pidfileWithGarbageIsRefusedAndLeftAlone() throws Exception {
        Files.writeString(pidfile(), "not a pid\n");
        IOException e = assertThrows(IOException.class, () -> start(startWithPidfile()));
        assertTrue(e.getMessage().contains("pidfile '" + pidfile() + "' exists and does not hold a pid"), e.getMessage());
        assertEquals("not a pid\n", Files.readString(pidfile()));
    }

    @Test
    void pidfileIsNeverWrittenThroughASymlink() throws Exception {
        Path victim = dir.resolve("victim");
        Files.createSymbolicLink(pidfile(), victim); // dangling: following it would create the victim
        IOException e = assertThrows(IOException.class, () -> start(startWithPidfile()));
        assertTrue(e.getMessage().contains("is a symbolic link"), e.getMessage());
        assertFalse(Files.exists(victim), "nothing written at the link's target");
        Files.writeString(victim, "precious\n");
        assertThrows(IOException.class, () -> start(startWithPidfile()));
        assertEquals("precious\n", Files.readString(victim));
    }

    private static boolean accepts(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            return ch.connect(UnixDomainSocketAddress.of(socket));
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void secondPoolerOnTheSameSocketRefusesAndLeavesTheFirstOnesSocketAlone() throws Exception {
        int port = FreePort.find();
        start(ini("first.ini", port, "listen_addr = 127.0.0.1"));
        Path socket = dir.resolve(".s.PGSQL." + port);
        Object inode = Files.readAttributes(socket, PosixFileAttributes.class).fileKey();
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(Path.of(socket + ".lock")));
        // Unix socket only: no TCP port clash stops it before it reaches the socket.
        IOException e = assertThrows(IOException.class, () -> start(ini("second.ini", port, "listen_addr =")));
        assertTrue(e.getMessage().contains("unix socket lock file '" + socket + ".lock' exists, another instance running?"),
                e.getMessage());
        assertEquals(inode, Files.readAttributes(socket, PosixFileAttributes.class).fileKey(), "the same socket file");
        assertTrue(accepts(socket), "the first pooler still accepts on its socket");
    }

    @Test
    void staleSocketLockWithADeadPidIsTakenOver() throws Exception {
        int port = FreePort.find();
        Path socket = dir.resolve(".s.PGSQL." + port);
        Files.writeString(Path.of(socket + ".lock"), deadPid() + "\n");
        Files.writeString(socket, ""); // a leftover of the dead process
        PoolerDaemon d = start(ini("p.ini", port, "listen_addr ="));
        assertTrue(accepts(socket));
        assertEquals(ProcessHandle.current().pid() + "\n", Files.readString(Path.of(socket + ".lock")));
        d.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
        assertTrue(d.awaitTermination(10, TimeUnit.SECONDS));
        assertFalse(Files.exists(socket), "socket removed at exit");
        assertFalse(Files.exists(Path.of(socket + ".lock")), "lock removed at exit");
    }

    @Test
    void unixSocketModeApplies() throws Exception {
        int port = FreePort.find();
        start(ini("p.ini", port, "listen_addr =", "unix_socket_mode = 0700"));
        assertEquals("rwx------", PosixFilePermissions.toString(
                Files.getPosixFilePermissions(dir.resolve(".s.PGSQL." + port))));
    }

    @Test
    void unixSocketGroupApplies() throws Exception {
        Assumptions.assumeTrue("root".equals(System.getProperty("user.name")), "chgrp to another group needs root");
        String group = Files.readAllLines(Path.of("/etc/group")).stream().map(l -> l.split(":")[0])
                .filter(g -> g.equals("postgres") || g.equals("nogroup")).findFirst().orElse(null);
        Assumptions.assumeTrue(group != null, "a group other than root's");
        int port = FreePort.find();
        start(ini("p.ini", port, "listen_addr =", "unix_socket_mode = 0770", "unix_socket_group = " + group));
        PosixFileAttributes a = Files.readAttributes(dir.resolve(".s.PGSQL." + port), PosixFileAttributes.class);
        assertEquals(group, a.group().getName());
        assertEquals("rwxrwx---", PosixFilePermissions.toString(a.permissions()));
    }

    @Test
    void unknownUnixSocketGroupRefusesTheStart() throws Exception {
        int port = FreePort.find();
        IOException e = assertThrows(IOException.class,
                () -> start(ini("p.ini", port, "listen_addr =", "unix_socket_group = no_such_group_x")));
        assertTrue(e.getMessage().contains("unix_socket_group: no such group 'no_such_group_x'"), e.getMessage());
    }
}

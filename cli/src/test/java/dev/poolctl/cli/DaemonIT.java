package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl start -d} and {@code poolctl stop} through the shaded jar, as an operator runs them. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DaemonIT {
    @TempDir
    Path dir;
    private Path pidfile;

    private record Run(int code, String out, String err) {}

    private Run poolctl(String... args) throws Exception {
        Path jar = Path.of("target", "poolctl.jar").toAbsolutePath();
        Path out = dir.resolve("out.txt");
        Path err = dir.resolve("err.txt");
        List<String> cmd = new java.util.ArrayList<>(List.of("java", "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly(); // a start that should have refused would otherwise outlive the test
            p.waitFor(10, TimeUnit.SECONDS);
            throw new AssertionError("poolctl " + String.join(" ", args) + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private Path ini(boolean withLogfile) throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        pidfile = dir.resolve("pooler.pid");
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, String.join("\n", "[databases]", "db = host=127.0.0.1 port=1 dbname=db", "[pgbouncer]",
                "listen_addr = 127.0.0.1", "listen_port = " + port, "unix_socket_dir = " + dir, "auth_type = trust",
                "pidfile = " + pidfile, withLogfile ? "logfile = " + dir.resolve("pooler.log") : "", ""));
        return ini;
    }

    @AfterEach
    void killLeftover() throws IOException {
        if (pidfile != null && Files.exists(pidfile)) {
            ProcessHandle.of(Long.parseLong(Files.readString(pidfile).trim())).ifPresent(ProcessHandle::destroyForcibly);
        }
    }

    @Test
    void startInTheBackgroundThenStop() throws Exception {
        Path ini = ini(true);
        Run started = poolctl("start", "-d", "-c", ini.toString());
        assertEquals(0, started.code(), started.err());
        String pid = Files.readString(pidfile).trim();
        assertTrue(started.out().contains("pid " + pid), started.out());
        assertTrue(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false));

        Run again = poolctl("start", "-d", "-c", ini.toString());
        assertEquals(1, again.code());
        assertTrue(again.err().contains("another instance running"), again.err());

        Run stopped = poolctl("stop", "--wait", "-c", ini.toString());
        assertEquals(0, stopped.code(), stopped.err());
        assertFalse(ProcessHandle.of(Long.parseLong(pid)).map(ProcessHandle::isAlive).orElse(false));
        assertFalse(Files.exists(pidfile), "the daemon removed its pidfile");

        Run notRunning = poolctl("stop", "-c", ini.toString());
        assertEquals(3, notRunning.code());
    }

    @Test
    void pidfileFromTheCommandLineOverridesTheIni() throws Exception {
        Path ini = ini(true);
        Path own = dir.resolve("own.pid");
        Run started = poolctl("start", "-d", "--pidfile", own.toString(), "-c", ini.toString());
        assertEquals(0, started.code(), started.err());
        assertTrue(Files.exists(own), "--pidfile written");
        assertFalse(Files.exists(pidfile), "the ini's pidfile is not used");
        pidfile = own; // for the cleanup
        Run stopped = poolctl("stop", "--wait", "--pidfile", own.toString(), "-c", ini.toString());
        assertEquals(0, stopped.code(), stopped.err());
    }

    @Test
    void pidfileWithoutAPidIsRefusedWithTheReasonAndLeftAlone() throws Exception {
        Path ini = ini(true);
        Files.writeString(pidfile, "garbage\n");
        Run r = poolctl("start", "-d", "-c", ini.toString());
        assertEquals(1, r.code(), r.out());
        assertTrue(r.err().contains("pidfile '" + pidfile + "' exists and does not hold a pid"), r.err());
        assertEquals("garbage\n", Files.readString(pidfile));
        pidfile = null; // nothing to clean up
    }

    /** A second pooler on the same unix_socket_dir and port (unix socket only, so no TCP clash stops it first). */
    @Test
    void secondPoolerOnTheSameUnixSocketRefusesAndLeavesTheFirstOnesSocketAlone() throws Exception {
        Path ini = ini(true);
        Run started = poolctl("start", "-d", "-c", ini.toString());
        assertEquals(0, started.code(), started.err());
        String pid = Files.readString(pidfile).trim();
        String text = Files.readString(ini);
        int port = Integer.parseInt(text.replaceAll("(?s).*listen_port = (\\d+).*", "$1"));
        Path socket = dir.resolve(".s.PGSQL." + port);
        Object inode = Files.readAttributes(socket, java.nio.file.attribute.PosixFileAttributes.class).fileKey();
        Path second = dir.resolve("second.ini");
        Files.writeString(second, String.join("\n", "[databases]", "db = host=127.0.0.1 port=1 dbname=db", "[pgbouncer]",
                "listen_addr =", "listen_port = " + port, "unix_socket_dir = " + dir, "auth_type = trust", ""));
        Run refused = poolctl("start", "-c", second.toString());
        assertEquals(1, refused.code(), refused.err());
        assertTrue(refused.err().contains("unix socket lock file '" + socket + ".lock' exists, another instance running? (pid "
                + pid + ")"), refused.err());
        assertEquals(inode, Files.readAttributes(socket, java.nio.file.attribute.PosixFileAttributes.class).fileKey(),
                "the first pooler's socket is still there");
        assertEquals(0, poolctl("stop", "--wait", "-c", ini.toString()).code());
        assertFalse(Files.exists(socket), "removed by its owner at exit");
        assertFalse(Files.exists(Path.of(socket + ".lock")));
    }

    @Test
    void daemonNeedsALogfile() throws Exception {
        Run r = poolctl("start", "-d", "-c", ini(false).toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("daemon needs logfile configured"), r.err());
    }
}

package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daemon as operators run it ({@code java -jar poolctl.jar start}, or the launcher {@code scripts/poolctl start}
 * for the tests named {@code launcher...}), driven by PgBouncer's signals: HUP reloads, TERM waits for clients, a
 * second TERM exits at once, INT exits once servers are released, QUIT (through the launcher) exits at once; and
 * {@code poolctl drain}. No PostgreSQL is needed: the clients here never get past the startup packet.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SignalsIT {
    private static final Duration AWAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private Process daemon;
    private int port;
    private Path log;
    private Path pidfile;

    @BeforeEach
    void start(TestInfo test) throws Exception {
        port = freePort();
        log = dir.resolve("pooler.log");
        pidfile = dir.resolve("pooler.pid");
        Files.writeString(dir.resolve("userlist.txt"), "\"u\" \"pw\"\n");
        Path ini = dir.resolve("pgbouncer.ini");
        Files.writeString(ini, String.join("\n",
                "[databases]",
                "db = host=127.0.0.1 port=" + freePort() + " dbname=db",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                "listen_port = " + port,
                "unix_socket_dir = " + dir,
                "auth_type = md5",
                "auth_file = " + dir.resolve("userlist.txt"),
                "logfile = " + log,
                "pidfile = " + pidfile,
                "client_login_timeout = 0",
                "drain_on_sigterm = " + (test.getDisplayName().contains("Drains") ? 1 : 0),
                ""));
        Path jar = Path.of("target", "poolctl.jar").toAbsolutePath();
        assertTrue(Files.exists(jar), "failsafe runs after package: " + jar);
        // The launcher through perl (Debian's perl-base is essential): a child of a JVM inherits its thread's signal
        // mask, SIGQUIT blocked, which a supervisor or a shell would not pass on; perl unblocks it, then runs bash.
        java.util.List<String> command = new java.util.ArrayList<>(test.getDisplayName().startsWith("launcher")
                ? java.util.List.of("perl", "-MPOSIX", "-e",
                        "sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGQUIT)); exec @ARGV or die $!",
                        "bash", Path.of("..", "scripts", "poolctl").toAbsolutePath().toString())
                : java.util.List.of("java", "-jar", jar.toString()));
        // Started as nohup starts it (SIGHUP ignored), or as a supervisor does (every signal at its default, whatever
        // this build inherited: a `nohup mvn verify` would otherwise pass its ignored SIGHUP on to the pooler).
        command.addAll(0, java.util.List.of("perl", "-e", test.getDisplayName().contains("Nohup")
                ? "$SIG{HUP} = 'IGNORE'; exec @ARGV or die $!"
                : "$SIG{$_} = 'DEFAULT' for qw(HUP INT TERM USR1 USR2); exec @ARGV or die $!"));
        daemon = new ProcessBuilder(new java.util.ArrayList<>(command) {{
                    addAll(java.util.List.of("start", "-q", "-c", ini.toString()));
                }})
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .start();
        await("process up", () -> logText().contains("process up"));
    }

    @AfterEach
    void stop() {
        if (daemon != null) {
            // the launcher's JVM too: killing the launcher alone would leave it running
            daemon.descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly();
        }
    }

    @Test
    void pidfileHoldsThePidWhileRunningAndIsRemovedAtExit() throws Exception {
        assertEquals(Long.toString(daemon.pid()), Files.readString(pidfile).trim());
        signal("TERM");
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "exits on SIGTERM with no clients");
        assertEquals(0, daemon.exitValue());
        assertFalse(Files.exists(pidfile), "pidfile removed at exit");
    }

    @Test
    void sighupReloadsAndKeepsServing() throws Exception {
        signal("HUP");
        await("reload logged", () -> logText().contains("got SIGHUP, re-reading config"));
        assertTrue(daemon.isAlive());
        try (Socket s = connect()) {
            assertTrue(s.isConnected());
        }
    }

    @Test
    void sigtermWaitsForTheLastClientThenExits() throws Exception {
        try (Socket client = loggingInClient()) {
            signal("TERM");
            await("shutdown logged", () -> logText().contains("got SIGTERM"));
            // Listening has stopped, but the connected client keeps the daemon up.
            await("listener closed", () -> refused());
            assertFalse(daemon.waitFor(500, TimeUnit.MILLISECONDS), "still waiting for its client");
        }
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "exits once the last client left");
        assertEquals(0, daemon.exitValue());
    }

    @Test
    void secondSigtermExitsAtOnceDespiteClients() throws Exception {
        try (Socket client = loggingInClient()) {
            signal("TERM");
            await("first SIGTERM logged", () -> logText().contains("got SIGTERM"));
            signal("TERM");
            assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "second SIGTERM is immediate");
        }
    }

    @Test
    void sigintExitsWhenNoServerIsInUse() throws Exception {
        try (Socket client = loggingInClient()) {
            signal("INT");
            assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "no server is active, so SIGINT completes");
            assertEquals(0, daemon.exitValue());
        }
    }

    @Test
    void launcherTurnsSigquitIntoAnImmediateExitDespiteClients() throws Exception {
        try (Socket client = loggingInClient()) {
            signal("QUIT");
            assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "SIGQUIT through the launcher is immediate");
            assertEquals(0, daemon.exitValue());
            assertTrue(logText().contains("got SIGQUIT, fast exit"), logText());
            assertFalse(Files.exists(pidfile), "pidfile removed at exit");
        }
    }

    @Test
    void launcherPassesSigtermOnOnce() throws Exception {
        try (Socket client = loggingInClient()) {
            signal("TERM");
            await("shutdown logged", () -> logText().contains("got SIGTERM, shutting down"));
            await("listener closed", () -> refused());
            assertFalse(daemon.waitFor(500, TimeUnit.MILLISECONDS), "one SIGTERM: still waiting for its client");
            assertFalse(logText().contains("fast exit"), logText());
        }
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "exits once the last client left");
        assertEquals(0, daemon.exitValue());
    }

    /** nohup's SIGHUP, ignored: the launcher resets it (bash and the JVM could not), so HUP still reloads. */
    @Test
    void launcherUnderNohupStillReloadsOnSighup() throws Exception {
        signal("HUP");
        await("reload logged", () -> logText().contains("got SIGHUP, re-reading config"));
        assertTrue(daemon.isAlive());
        assertFalse(logText().contains("ignored"), logText());
    }

    /** Without the launcher the JVM cannot take the ignored SIGHUP back: it says so instead of reloading silently never. */
    @Test
    void aJvmStartedUnderNohupSaysItCannotTakeSighup() throws Exception {
        await("warning logged", () -> logText().contains("WARNING SIGHUP ignored: this process was started with it"
                + " ignored (nohup, a script's background job)"));
    }

    @Test
    void sigtermDrainsWithDrainOnSigterm() throws Exception {
        signal("TERM");
        await("drain logged", () -> logText().contains("got SIGTERM, draining (drain_on_sigterm)"));
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS), "no client: the drain ends at once");
        assertTrue(logText().contains("drain finished: no client left"), logText());
    }

    @Test
    void poolctlDrainShowsProgressAndReturnsWhenThePoolerHasExited() throws Exception {
        try (Socket client = loggingInClient()) {
            // A client stuck in its login counts until the deadline closes it.
            dev.poolctl.cli.support.Cli drain = dev.poolctl.cli.support.Cli.run("drain", "--deadline", "1s",
                    "-h", dir.toString(), "-p", Integer.toString(port), "-U", "pgbouncer");
            assertEquals(0, drain.code(), drain.toString());
            assertTrue(drain.out().contains("draining: 0 clients left, 0 servers active, deadline in"), drain.out());
            assertTrue(drain.out().contains("drained: the pooler has exited"), drain.out());
        }
        assertTrue(daemon.waitFor(20, TimeUnit.SECONDS));
        assertTrue(logText().contains("DRAIN command issued, deadline 1s"), logText());
        assertTrue(logText().contains("drain deadline reached: closing 1 client"), logText());
    }

    private Socket connect() throws IOException {
        Socket s = new Socket();
        s.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        return s;
    }

    /**
     * A client the daemon has surely admitted: it sent a StartupMessage and sits at the password request
     * (client_login_timeout = 0), logged as a login attempt. A bare TCP connect is not enough: the kernel
     * completes it before the daemon has seen the socket.
     */
    private Socket loggingInClient() throws Exception {
        Socket s = connect();
        java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
        java.io.DataOutputStream out = new java.io.DataOutputStream(body);
        out.writeInt(196608);
        for (String p : new String[] {"user", "u", "database", "db"}) {
            out.write(p.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.write(0);
        }
        out.write(0);
        java.io.DataOutputStream wire = new java.io.DataOutputStream(s.getOutputStream());
        wire.writeInt(body.size() + 4);
        wire.write(body.toByteArray());
        wire.flush();
        await("the login attempt", () -> logText().contains("login attempt: db=db user=u"));
        return s;
    }

    private boolean refused() {
        try (Socket s = connect()) {
            return false;
        } catch (ConnectException e) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private void signal(String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(daemon.pid())).start();
        assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -" + name);
    }

    private String logText() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "";
        }
    }

    private void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + AWAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (!daemon.isAlive()) {
                throw new AssertionError("daemon exited while waiting for " + what + "; log:\n" + logText());
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; log:\n" + logText());
            }
            Thread.sleep(20);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

package dev.poolctl.cli.commands;

import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.pooler.PidFile;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code start -R}: PgBouncer's online restart as a hand-over. PgBouncer moves the old process's sockets, clients
 * and servers into the new one (SCM_RIGHTS); a JVM cannot take file descriptors from another process. Instead the
 * new process logs in to the old one's console over the unix socket (as user {@code pgbouncer}, trusted by peer
 * uid as in PgBouncer) and sends {@code DRAIN}: the old one stops listening on TCP, closes each client at its next
 * transaction boundary (57P01, so drivers reconnect, to the new process) and exits when none is left or at its
 * {@code drain_timeout}; the new one listens from then on, and takes over the unix socket, its lock file and the
 * pidfile at once. With {@code so_reuseport = 1} the new process listens before the old one stops. The old one's
 * {@code drain_accept_grace} delays its stop: it serves new clients meanwhile.
 */
final class OnlineRestart implements AutoCloseable {
    private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
    private static final int COMMAND_TIMEOUT_MILLIS = 30_000;

    private final long pid;
    private final AdminClient console;

    private OnlineRestart(long pid, AdminClient console) {
        this.pid = pid;
        this.console = console;
    }

    /** Why the running pooler cannot be replaced; the message says what to do. */
    static final class Refused extends Exception {
        private static final long serialVersionUID = 1L;

        Refused(String message) {
            super(message);
        }
    }

    /**
     * The running pooler of this configuration, logged in to; null when none runs (then a plain start is right,
     * as in a service script that always passes {@code -R}).
     */
    static OnlineRestart find(GeneralSettings g) throws Refused {
        String dir = g.unixSocketDir();
        if (dir == null || dir.isEmpty()) {
            throw new Refused("needs unix_socket_dir: the new process reaches the running one's console there");
        }
        Path socket = Path.of(dir, ".s.PGSQL." + g.listenPort());
        long pid = PidFile.livePid(Path.of(socket + ".lock"));
        if (pid == 0 && g.pidfile() != null && !g.pidfile().isEmpty()) {
            pid = PidFile.livePid(Path.of(g.pidfile()));
        }
        if (pid == 0 || !Files.exists(socket)) {
            return null;
        }
        AdminClient.Target target = new AdminClient.Target(dir, g.listenPort(), "pgbouncer");
        try {
            AdminClient console = AdminClient.connect(target, user -> null, CONNECT_TIMEOUT_MILLIS, COMMAND_TIMEOUT_MILLIS);
            return new OnlineRestart(pid, console);
        } catch (AdminException e) {
            throw new Refused("the running pooler (pid " + pid + ") refused its console on " + socket + ": "
                    + e.getMessage() + " (run -R as the OS user the pooler runs as)");
        } catch (IOException e) {
            throw new Refused("cannot reach the running pooler (pid " + pid + ") on " + socket + ": " + e.getMessage());
        }
    }

    long pid() {
        return pid;
    }

    /** Whether the new process can listen beside the old one, so it starts before the old one stops listening. */
    static boolean listensBeside(GeneralSettings g) {
        return g.boolValue(Setting.SO_REUSEPORT);
    }

    /**
     * {@code DRAIN} with the old one's own drain_timeout: returns once it no longer listens on TCP. A drain, not
     * {@code SHUTDOWN WAIT_FOR_CLIENTS}: an application pool that never closes its connections would keep the old
     * process running for ever.
     */
    void stopOld() throws Refused {
        try {
            // it answers once it no longer listens: after its drain_accept_grace, when it has one
            long grace = Drain.acceptGrace(console).toMillis();
            console.query("DRAIN", (int) Math.min(Integer.MAX_VALUE, COMMAND_TIMEOUT_MILLIS + grace));
        } catch (AdminException e) {
            throw new Refused("the running pooler (pid " + pid + ") refused DRAIN: " + e.getMessage());
        } catch (IOException e) {
            throw new Refused("lost the running pooler's console (pid " + pid + "): " + e.getMessage());
        }
    }

    @Override
    public void close() {
        console.close();
    }
}

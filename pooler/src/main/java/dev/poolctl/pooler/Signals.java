package dev.poolctl.pooler;

import dev.poolctl.pooler.config.Setting;
import sun.misc.Signal;

/**
 * PgBouncer's signals (1.23+): HUP reloads, INT waits for servers then exits, TERM waits for clients then exits
 * (with {@code drain_on_sigterm = 1} it drains instead), a second INT or TERM exits at once, USR1 pauses, USR2
 * resumes, QUIT exits at once. A JVM cannot take SIGQUIT (it prints a thread dump; {@code -Xrs} would give QUIT up
 * but take HUP, INT and TERM away from us too): the launcher, {@code scripts/poolctl start}, stays the parent,
 * passes the other signals on and turns QUIT into {@link #QUIT_FROM_LAUNCHER}, a signal nobody else sends us.
 */
public final class Signals {
    /** What the launcher sends for the SIGQUIT it got (SIGPWR: only init sends it, and only to process 1). */
    public static final String QUIT_FROM_LAUNCHER = "PWR";

    private Signals() {}

    public static void install(PoolerDaemon daemon) {
        handle("HUP", daemon::reload); // logs its own failure
        handle("INT", () -> {
            if (fastExitIfStopping(daemon, "SIGINT")) {
                return;
            }
            daemon.log().log("got SIGINT, shutting down, waiting for all servers connections to be released");
            daemon.shutdown(PoolerDaemon.ShutdownMode.WAIT_FOR_SERVERS);
        });
        handle("USR1", () -> {
            daemon.log().log("got SIGUSR1, pausing all activity");
            daemon.pauseAll();
        });
        handle("USR2", () -> {
            if (daemon.isStopping()) {
                daemon.log().log("got SIGUSR2 while shutting down, ignoring");
                return;
            }
            daemon.log().log("got SIGUSR2, continuing");
            daemon.resumeAll();
        });
        handle("TERM", () -> {
            if (fastExitIfStopping(daemon, "SIGTERM")) {
                return;
            }
            if (daemon.generalSettings().boolValue(Setting.DRAIN_ON_SIGTERM)) {
                daemon.log().log("got SIGTERM, draining (drain_on_sigterm)");
                daemon.shutdown(PoolerDaemon.ShutdownMode.DRAIN);
            } else {
                daemon.log().log("got SIGTERM, shutting down, waiting for all clients disconnect");
                daemon.shutdown(PoolerDaemon.ShutdownMode.WAIT_FOR_CLIENTS);
            }
        });
        handle(QUIT_FROM_LAUNCHER, () -> {
            daemon.log().log("got SIGQUIT, fast exit");
            daemon.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
        });
    }

    /** A second INT or TERM: PgBouncer exits at once. */
    private static boolean fastExitIfStopping(PoolerDaemon daemon, String name) {
        if (!daemon.isStopping()) {
            return false;
        }
        daemon.log().log("got " + name + " while shutting down, fast exit");
        daemon.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
        return true;
    }

    private static void handle(String name, Runnable action) {
        try {
            Signal.handle(new Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            // The JVM reserves this signal on this platform: PgBouncer's meaning is lost.
            System.err.println("poolctl: cannot handle SIG" + name + ": " + e.getMessage());
        }
    }
}

package dev.poolctl.pooler;

import sun.misc.Signal;

/**
 * PgBouncer's signals: HUP reloads, INT waits for servers then exits, TERM waits for clients then exits
 * (a second INT or TERM exits at once), USR1 pauses, USR2 resumes. SIGQUIT stays the JVM's thread dump: taking it needs -Xrs, which
 * also takes HUP, INT and TERM away from us.
 */
public final class Signals {
    private Signals() {}

    public static void install(PoolerDaemon daemon) {
        handle("HUP", daemon::reload); // logs its own failure
        handle("INT", () -> {
            daemon.log().log("got SIGINT, shutting down, waiting for servers");
            daemon.shutdown(PoolerDaemon.ShutdownMode.WAIT_FOR_SERVERS);
        });
        handle("USR1", () -> {
            daemon.log().log("got SIGUSR1, pausing all activity");
            daemon.pauseAll();
        });
        handle("USR2", () -> {
            daemon.log().log("got SIGUSR2, continuing");
            daemon.resumeAll();
        });
        handle("TERM", () -> {
            daemon.log().log("got SIGTERM, shutting down, waiting for clients");
            daemon.shutdown(PoolerDaemon.ShutdownMode.WAIT_FOR_CLIENTS);
        });
    }

    private static void handle(String name, Runnable action) {
        try {
            Signal.handle(new Signal(name), s -> action.run());
        } catch (IllegalArgumentException e) {
            // The JVM reserves this signal on this platform (e.g. QUIT without -Xrs): PgBouncer's meaning is lost.
            System.err.println("poolctl: cannot handle SIG" + name + ": " + e.getMessage());
        }
    }
}

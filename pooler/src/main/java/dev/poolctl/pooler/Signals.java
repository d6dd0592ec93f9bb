package dev.poolctl.pooler;

import dev.poolctl.pooler.config.Setting;
import java.util.ArrayList;
import java.util.List;
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
    private static final List<String> NAMES = List.of("HUP", "INT", "USR1", "USR2", "TERM", QUIT_FROM_LAUNCHER);
    /** Signals kept for the daemon while it starts; more of them say nothing more (a second TERM: exit at once). */
    private static final int MAX_EARLY = 8;

    /** Null until {@link #daemonUp}; guarded by {@code this}. */
    private PoolerDaemon daemon;
    private final List<String> early = new ArrayList<>();
    /** Signals this process inherited ignored (nohup's HUP): the JVM will not take them. */
    private final List<String> ignored = new ArrayList<>();

    private Signals() {}

    /**
     * Takes the signals now, before the daemon exists: the JVM's own SIGHUP, SIGINT and SIGTERM handlers would end
     * the process at once, and a supervisor may signal as soon as the pidfile or "process up" is there. Those that
     * come before {@link #daemonUp} act then, in order.
     */
    public static Signals install() {
        Signals signals = new Signals();
        for (String name : NAMES) {
            if (!handle(name, () -> signals.received(name))) {
                signals.ignored.add("SIG" + (name.equals(QUIT_FROM_LAUNCHER) ? "QUIT (as SIGPWR)" : name));
            }
        }
        return signals;
    }

    /** The daemon is up: the signals that came while it started act now, and the next ones at once. */
    public void daemonUp(PoolerDaemon up) {
        List<String> pending;
        synchronized (this) {
            daemon = up;
            pending = List.copyOf(early);
            early.clear();
        }
        if (!ignored.isEmpty()) {
            up.log().warning(String.join(", ", ignored) + " ignored: this process was started with "
                    + (ignored.size() == 1 ? "it" : "them") + " ignored (nohup, a script's background job) and the"
                    + " JVM cannot take an ignored signal back; start it through scripts/poolctl, which resets them,"
                    + " or use the console (RELOAD, SHUTDOWN)");
        }
        pending.forEach(name -> act(up, name));
    }

    private void received(String name) {
        PoolerDaemon d;
        synchronized (this) {
            d = daemon;
            if (d == null) {
                if (early.size() < MAX_EARLY) {
                    early.add(name);
                }
                return;
            }
        }
        act(d, name);
    }

    private static void act(PoolerDaemon daemon, String name) {
        switch (name) {
            case "HUP" -> daemon.reload(); // logs its own failure
            case "INT" -> interrupt(daemon);
            case "USR1" -> {
                daemon.log().log("got SIGUSR1, pausing all activity");
                daemon.pauseAll();
            }
            case "USR2" -> resume(daemon);
            case "TERM" -> terminate(daemon);
            case QUIT_FROM_LAUNCHER -> {
                daemon.log().log("got SIGQUIT, fast exit");
                daemon.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
            }
            default -> throw new IllegalArgumentException(name);
        }
    }

    private static void interrupt(PoolerDaemon daemon) {
        if (fastExitIfStopping(daemon, "SIGINT")) {
            return;
        }
        daemon.log().log("got SIGINT, shutting down, waiting for all servers connections to be released");
        daemon.shutdown(PoolerDaemon.ShutdownMode.WAIT_FOR_SERVERS);
    }

    private static void resume(PoolerDaemon daemon) {
        if (daemon.isStopping()) {
            daemon.log().log("got SIGUSR2 while shutting down, ignoring");
            return;
        }
        daemon.log().log("got SIGUSR2, continuing");
        daemon.resumeAll();
    }

    private static void terminate(PoolerDaemon daemon) {
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

    /** False when the process inherited the signal ignored: the JVM then installs no handler for it. */
    private static boolean handle(String name, Runnable action) {
        try {
            return Signal.handle(new Signal(name), s -> action.run()) != sun.misc.SignalHandler.SIG_IGN;
        } catch (IllegalArgumentException e) {
            // The JVM reserves this signal on this platform: PgBouncer's meaning is lost.
            System.err.println("poolctl: cannot handle SIG" + name + ": " + e.getMessage());
            return true;
        }
    }
}

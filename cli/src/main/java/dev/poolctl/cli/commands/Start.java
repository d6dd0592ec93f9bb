package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.pooler.PidFile;
import dev.poolctl.pooler.PoolerDaemon;
import dev.poolctl.pooler.Signals;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.Setting;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code poolctl start}: runs the pooler in the foreground until a signal stops it. */
@Command(
        name = "start",
        mixinStandardHelpOptions = true,
        description = {
            "Run the pooler in the foreground with an existing pgbouncer.ini.",
            "Signals as PgBouncer: HUP reloads; INT waits for servers to be released, then exits;",
            "TERM waits for clients to leave, then exits; a second INT or TERM exits at once."
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {"0:stopped by a signal (with -d: started)", "1:could not start (port in use, pidfile...)",
            "2:usage error or invalid configuration"},
        footer = {"", "Examples:", "  poolctl start -c pgbouncer.ini", "  poolctl start pgbouncer.ini   (PgBouncer's form)",
            "  poolctl start -d -c pgbouncer.ini   (background; stop it with: poolctl stop -c pgbouncer.ini)",
            "  poolctl start -R -d -c pgbouncer.ini   (online restart: replaces the running one)"})
public final class Start implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", description = "pgbouncer.ini to run with")
    Path config;

    @Parameters(arity = "0..1", paramLabel = "CONFIG", description = "the config file, as `pgbouncer CONFIG` takes it")
    Path positional;

    @Option(names = {"-q", "--quiet"}, description = "no log lines on stderr (logfile still written)")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "more log detail; repeat for more")
    boolean[] verbose = new boolean[0];

    @Option(names = "--pidfile", paramLabel = "FILE", description = "write the pid here instead of the ini's pidfile")
    Path pidfile;

    @Option(names = {"-d", "--daemon"},
            description = "run in the background (needs pidfile and logfile in the config, as PgBouncer); returns "
                    + "once the pooler accepts connections, or exits non-zero with the reason")
    boolean daemon;

    @Option(names = {"-R", "--reboot"},
            description = "online restart: replace the pooler running with this config; it stops listening, sends"
                    + " each client away at its next transaction boundary and exits (a drain), this one serves the"
                    + " clients as they reconnect (README: Online restart)")
    boolean reboot;

    @Override
    public Integer call() throws InterruptedException {
        Path file = config != null ? config : positional;
        if (file == null) {
            spec.commandLine().getErr().println("poolctl start: no config file given (use -c FILE)");
            return ExitCodes.USAGE;
        }
        if (daemon) {
            return Daemonizer.detach(file, pidfile, verbose.length, reboot, spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
        OnlineRestart old = null;
        boolean beside = false;
        if (reboot) {
            try {
                var config = IniLoader.load(file).config();
                PoolerDaemon.checkSupported(file, config); // refused before the running pooler is touched
                GeneralSettings g = config.general();
                if (pidfile != null) {
                    g = g.with(Setting.PIDFILE, pidfile.toAbsolutePath().toString());
                }
                old = OnlineRestart.find(g);
                beside = OnlineRestart.listensBeside(g);
                if (old != null) {
                    PidFile.takeOverFrom(old.pid());
                    if (!beside) {
                        old.stopOld(); // it must stop listening on the port before we can
                    }
                }
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("poolctl start: invalid config: " + e.getMessage());
                return ExitCodes.CONFIG;
            } catch (OnlineRestart.Refused e) {
                spec.commandLine().getErr().println("poolctl start: online restart: " + e.getMessage());
                if (old != null) {
                    old.close();
                }
                return ExitCodes.ERROR;
            }
        }
        // The pooler caches host names itself for dns_max_ttl / dns_nxdomain_ttl (HostResolver); the JVM's own cache
        // (30 s and 10 s) would hold answers longer. Set before the first lookup, which reads them once.
        java.security.Security.setProperty("networkaddress.cache.ttl", "0");
        java.security.Security.setProperty("networkaddress.cache.negative.ttl", "0");
        PoolerDaemon daemon;
        try {
            daemon = PoolerDaemon.start(file, quiet, verbose.length, pidfile);
        } catch (ConfigException e) {
            spec.commandLine().getErr().println("poolctl start: invalid config: " + e.getMessage() + oldState(old, beside));
            return ExitCodes.CONFIG;
        } catch (IOException e) {
            spec.commandLine().getErr().println("poolctl start: " + e.getMessage() + oldState(old, beside));
            return ExitCodes.ERROR;
        } finally {
            if (old != null && !beside) {
                old.close();
            }
        }
        Signals.install(daemon);
        if (old != null) {
            handOver(daemon, old, beside);
        }
        daemon.awaitTermination();
        return ExitCodes.OK;
    }

    /** What a failed start -R left running. */
    private static String oldState(OnlineRestart old, boolean beside) {
        return old == null ? "" : beside ? " (the running pooler, pid " + old.pid() + ", keeps running)"
                : " (the running pooler, pid " + old.pid() + ", is draining already: start again without -R)";
    }

    private static void handOver(PoolerDaemon daemon, OnlineRestart old, boolean beside) {
        try (old) {
            if (beside) {
                old.stopOld();
            }
            daemon.log().log("online restart: pid " + old.pid() + " no longer listens and is draining its clients;"
                    + " new clients come here");
        } catch (OnlineRestart.Refused e) {
            daemon.log().warning("online restart: " + e.getMessage() + "; both poolers accept clients now");
        }
    }
}

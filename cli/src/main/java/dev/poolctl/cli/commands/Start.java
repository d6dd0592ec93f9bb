package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.Poolctl;
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
@Command(name = "start", mixinStandardHelpOptions = true)
public final class Start implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE")
    Path config;

    @Parameters(arity = "0..1", paramLabel = "CONFIG", descriptionKey = "CONFIG")
    Path positional;

    @Option(names = {"-q", "--quiet"})
    boolean quiet;

    @Option(names = {"-v", "--verbose"})
    boolean[] verbose = new boolean[0];

    @Option(names = "--pidfile", paramLabel = "FILE")
    Path pidfile;

    @Option(names = {"-d", "--daemon"})
    boolean daemon;

    @Option(names = {"-R", "--reboot"})
    boolean reboot;

    @Option(names = "--from-env")
    boolean fromEnv;

    @Override
    public Integer call() throws InterruptedException {
        Path file = config != null ? config : positional;
        if (fromEnv) {
            file = file != null ? file : EnvFiles.DEFAULT_INI;
            try {
                EnvFiles.Prepared prepared = EnvFiles.read(file, ((Poolctl) spec.root().userObject()).env());
                prepared.report(spec.commandLine().getErr(), "poolctl start: ");
                EnvFiles.write(prepared, spec.commandLine().getErr(), "poolctl start: ");
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("poolctl start: invalid environment: " + e.getMessage());
                return ExitCodes.CONFIG;
            } catch (IOException e) {
                spec.commandLine().getErr().println("poolctl start: " + e.getMessage());
                return ExitCodes.ERROR;
            }
        }
        if (file == null) {
            spec.commandLine().getErr().println("poolctl start: no config file given (use -c FILE)");
            return ExitCodes.USAGE;
        }
        if (daemon) {
            return Daemonizer.detach(file, pidfile, verbose.length, reboot, spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
        // Before anything another process can see (the old pooler's hand-over, the pidfile, "process up"): a signal
        // that comes while the pooler starts acts once it is up instead of ending the JVM.
        Signals signals = Signals.install();
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
        signals.daemonUp(daemon);
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

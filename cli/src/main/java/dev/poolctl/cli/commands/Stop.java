package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code poolctl stop}: signals the pooler named by the config's pidfile, as PgBouncer's operators do. */
@Command(name = "stop", mixinStandardHelpOptions = true)
public final class Stop implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE", required = true)
    Path config;

    @Option(names = "--pidfile", paramLabel = "FILE")
    Path pidfileOverride;

    @Option(names = "--wait")
    boolean waitForExit;

    @Option(names = "--fast")
    boolean fast;

    @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "60")
    int timeoutSeconds;

    @Override
    public Integer call() throws InterruptedException {
        var err = spec.commandLine().getErr();
        GeneralSettings g;
        try {
            g = IniLoader.load(config).config().general();
        } catch (ConfigException e) {
            err.println("poolctl stop: invalid config: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        String pidfile = pidfileOverride != null ? pidfileOverride.toString() : g.pidfile();
        if (pidfile == null || pidfile.isEmpty()) {
            err.println("poolctl stop: " + config + " sets no pidfile: stop the pooler with 'poolctl shutdown' instead");
            return ExitCodes.USAGE;
        }
        Optional<ProcessHandle> process = running(Path.of(pidfile));
        if (process.isEmpty()) {
            err.println("poolctl stop: not running (no live process in " + pidfile + ")");
            return 3;
        }
        long pid = process.get().pid();
        if (!signal(fast ? "TERM" : "INT", pid) || (fast && !signal("TERM", pid))) {
            err.println("poolctl stop: cannot signal pid " + pid);
            return ExitCodes.ERROR;
        }
        if (waitForExit) {
            try {
                process.get().onExit().get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                err.println("poolctl stop: pid " + pid + " still running after " + timeoutSeconds + " s");
                return ExitCodes.ERROR;
            } catch (java.util.concurrent.ExecutionException e) {
                return ExitCodes.ERROR;
            }
        }
        spec.commandLine().getOut().println((waitForExit ? "stopped" : "signalled") + " pid " + pid);
        return ExitCodes.OK;
    }

    private static Optional<ProcessHandle> running(Path pidfile) {
        try {
            String text = Files.readString(pidfile).trim();
            return ProcessHandle.of(Long.parseLong(text)).filter(ProcessHandle::isAlive);
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static boolean signal(String name, long pid) throws InterruptedException {
        try {
            Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).start();
            return kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }
}

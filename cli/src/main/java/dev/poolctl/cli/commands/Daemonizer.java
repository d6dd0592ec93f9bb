package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.pooler.PidFile;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code start -d}: the JVM cannot fork, so it starts itself again as a detached child ({@code setsid} where
 * present) with the same classpath and JVM options, then waits until that child accepts connections or exits.
 */
final class Daemonizer {
    private Daemonizer() {}

    private static final long READY_TIMEOUT_MILLIS = 30_000;

    /** {@code reboot}: the child replaces the running pooler ({@code start -R}), whose live pidfile is expected. */
    static int detach(Path config, Path pidfileOverride, int verbose, boolean reboot, PrintWriter out, PrintWriter err)
            throws InterruptedException {
        GeneralSettings g;
        try {
            g = IniLoader.load(config).config().general();
        } catch (ConfigException e) {
            err.println("poolctl start: invalid config: " + e.getMessage());
            return ExitCodes.CONFIG;
        }
        if (pidfileOverride != null) {
            g = g.with(dev.poolctl.pooler.config.Setting.PIDFILE, pidfileOverride.toAbsolutePath().toString());
        }
        // PgBouncer's rules for -d: without a pidfile nobody can stop it, without a logfile nobody can read it.
        if (g.pidfile() == null || g.pidfile().isEmpty()) {
            err.println("poolctl start: daemon needs pidfile configured");
            return ExitCodes.CONFIG;
        }
        if (g.logfile() == null || g.logfile().isEmpty()) {
            err.println("poolctl start: daemon needs logfile configured (stderr goes nowhere in the background)");
            return ExitCodes.CONFIG;
        }
        try {
            // Refused here as the child would refuse it, where the operator sees why (the child's stderr is gone).
            PidFile.Holder holder = PidFile.inspect(Path.of(g.pidfile()));
            if (holder != null && holder.problem() != null) {
                err.println("poolctl start: pidfile '" + g.pidfile() + "' exists and " + holder.problem()
                        + "; refusing to touch it (remove it if no pooler is running)");
                return ExitCodes.ERROR;
            }
        } catch (IOException e) {
            err.println("poolctl start: cannot read pidfile '" + g.pidfile() + "': " + e.getMessage());
            return ExitCodes.ERROR;
        }
        long running = PidFile.livePid(Path.of(g.pidfile()));
        if (running != 0 && !reboot) {
            err.println("poolctl start: pidfile '" + g.pidfile() + "' exists, another instance running? (pid " + running + ")");
            return ExitCodes.ERROR;
        }
        List<String> cmd = new ArrayList<>();
        if (new File("/usr/bin/setsid").canExecute()) {
            cmd.add("/usr/bin/setsid"); // a session of its own: no controlling terminal, no SIGHUP at logout
        }
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.poolctl.cli.Poolctl",
                "start", "-q", "-c", config.toAbsolutePath().toString()));
        if (pidfileOverride != null) {
            cmd.addAll(List.of("--pidfile", pidfileOverride.toAbsolutePath().toString()));
        }
        if (reboot) {
            cmd.add("-R");
        }
        for (int i = 0; i < verbose; i++) {
            cmd.add("-v");
        }
        Process child;
        try {
            child = new ProcessBuilder(cmd)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            err.println("poolctl start: cannot start the background process: " + e.getMessage());
            return ExitCodes.ERROR;
        }
        long deadline = System.currentTimeMillis() + READY_TIMEOUT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            if (!child.isAlive()) {
                err.println("poolctl start: the pooler exited with code " + child.exitValue() + "; see " + g.logfile());
                tail(Path.of(g.logfile()), err);
                return ExitCodes.ERROR;
            }
            // Ready = our child wrote its pid and the listener answers (not some other process on that port).
            if (child.pid() == PidFile.livePid(Path.of(g.pidfile())) && accepts(g)) {
                out.println("poolctl started in the background, pid " + pid(Path.of(g.pidfile()), child)
                        + ", log " + g.logfile());
                return ExitCodes.OK;
            }
            child.waitFor(100, TimeUnit.MILLISECONDS);
        }
        err.println("poolctl start: the pooler did not accept connections within 30 s; see " + g.logfile());
        return ExitCodes.ERROR;
    }

    private static boolean accepts(GeneralSettings g) {
        String host = g.listenAddr().isEmpty() ? null : g.listenAddr().get(0);
        if (host == null) {
            return Files.exists(Path.of(g.unixSocketDir(), ".s.PGSQL." + g.listenPort()));
        }
        if (host.equals("*") || host.equals("0.0.0.0")) {
            host = "127.0.0.1";
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, g.listenPort()), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static String pid(Path pidfile, Process child) {
        try {
            return Files.readString(pidfile).trim();
        } catch (IOException e) {
            return Long.toString(child.pid());
        }
    }

    private static void tail(Path log, PrintWriter err) {
        try {
            List<String> lines = Files.readAllLines(log);
            for (String line : lines.subList(Math.max(0, lines.size() - 5), lines.size())) {
                err.println("  " + line);
            }
        } catch (IOException ignored) {
            // no log to show: the exit code and the message above say enough
        }
    }
}

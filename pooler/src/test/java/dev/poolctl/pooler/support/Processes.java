package dev.poolctl.pooler.support;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Runs external commands (psql, pgbench, the PostgreSQL server tools) for tests: with a hard
 * timeout, extra environment variables, optional text on stdin, and stdout / stderr captured
 * separately.
 *
 * <p>Environment: the child inherits the JVM's environment <em>minus every variable whose name
 * starts with {@code PG}</em> (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGSSLMODE, ... from the
 * developer's shell would otherwise silently change what a libpq client connects to); variables
 * given with {@link Command#env(String, String)} are then added on top.
 *
 * <p>Timeout: when the command has not exited in time, it and every process it started that is
 * still its descendant are killed with {@link ProcessHandle#destroyForcibly()} (by the handles of
 * the processes this class started, never by name), and a {@link ProcessTimeoutException} carrying
 * the output captured so far is thrown.
 *
 * <pre>{@code
 * Processes.Result r = Processes.command(cluster.binary("psql").toString(), "-X", "-At",
 *         "-h", "127.0.0.1", "-p", String.valueOf(port), "-U", "scram_user", "-d", "testdb",
 *         "-c", "select 1")
 *     .env("PGPASSWORD", "scram_pw")
 *     .env("PGCONNECT_TIMEOUT", "5")
 *     .timeout(Duration.ofSeconds(20))
 *     .run();
 * }</pre>
 */
public final class Processes {

    /** Timeout used when none is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

    /** How long to wait for the output pipes to drain after the process itself has exited. */
    private static final Duration DRAIN_GRACE = Duration.ofSeconds(5);

    private Processes() {
    }

    /** Outcome of a finished command. {@code stdout} and {@code stderr} are decoded as UTF-8. */
    public record Result(int exitCode, String stdout, String stderr) {

        public boolean succeeded() {
            return exitCode == 0;
        }

        /** stdout followed by stderr, for messages and loose assertions. */
        public String output() {
            return stdout + stderr;
        }

        /**
         * Returns this result if the exit code is 0, otherwise throws an {@link AssertionError}
         * (so a test reports a failure, not an error) that shows the exit code and both streams.
         */
        public Result assertSuccess(String what) {
            if (exitCode != 0) {
                throw new AssertionError(what + " failed with exit code " + exitCode + describeStreams());
            }
            return this;
        }

        /** Like {@link #assertSuccess(String)} but asserts a non-zero exit code. */
        public Result assertFailure(String what) {
            if (exitCode == 0) {
                throw new AssertionError(what + " unexpectedly succeeded" + describeStreams());
            }
            return this;
        }

        String describeStreams() {
            return "\n--- stdout ---\n" + stdout + "\n--- stderr ---\n" + stderr;
        }
    }

    /** Thrown when a command does not finish within its timeout; the process has been killed. */
    public static final class ProcessTimeoutException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        private final List<String> command;
        private final Duration timeout;
        private final String stdout;
        private final String stderr;

        ProcessTimeoutException(List<String> command, Duration timeout, String stdout, String stderr) {
            super("command did not finish within " + timeout.toMillis() + " ms and was killed: "
                    + String.join(" ", command)
                    + "\n--- stdout so far ---\n" + stdout + "\n--- stderr so far ---\n" + stderr);
            this.command = List.copyOf(command);
            this.timeout = timeout;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        public List<String> command() {
            return command;
        }

        public Duration timeout() {
            return timeout;
        }

        /** Output captured before the process was killed. */
        public String stdout() {
            return stdout;
        }

        /** Output captured before the process was killed. */
        public String stderr() {
            return stderr;
        }
    }

    /** Runs {@code command} with no stdin, no extra environment and the given timeout. */
    public static Result run(List<String> command, Duration timeout) {
        return command(command).timeout(timeout).run();
    }

    /**
     * Runs {@code command} with extra environment variables {@code env} (may be empty), optional
     * {@code stdin} text (null: stdin is closed at once) and the given timeout.
     */
    public static Result run(List<String> command, Map<String, String> env, String stdin, Duration timeout) {
        Command c = command(command).stdin(stdin).timeout(timeout);
        env.forEach(c::env);
        return c.run();
    }

    /** Starts building a command; {@code command[0]} is the program (a path or a name on PATH). */
    public static Command command(String... command) {
        return new Command(Arrays.asList(command));
    }

    /** Starts building a command; {@code command.get(0)} is the program. */
    public static Command command(List<String> command) {
        return new Command(command);
    }

    /** A command to run; configure it and call {@link #run()}. Not thread-safe; cheap to create. */
    public static final class Command {
        private final List<String> command;
        private final Map<String, String> env = new LinkedHashMap<>();
        private String stdin;
        private Path directory;
        private Duration timeout = DEFAULT_TIMEOUT;

        private Command(List<String> command) {
            if (command.isEmpty()) {
                throw new IllegalArgumentException("empty command");
            }
            this.command = new ArrayList<>(command);
            this.command.forEach(Objects::requireNonNull);
        }

        /** Sets (or, with a null value, removes) an environment variable of the child. */
        public Command env(String name, String value) {
            env.put(Objects.requireNonNull(name), value);
            return this;
        }

        /** Text written to the child's stdin (UTF-8), after which stdin is closed. */
        public Command stdin(String text) {
            this.stdin = text;
            return this;
        }

        /** Working directory of the child; default: the JVM's. */
        public Command directory(Path dir) {
            this.directory = dir;
            return this;
        }

        public Command timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Runs the command to completion and returns its result, whatever the exit code.
         *
         * @throws ProcessTimeoutException if it did not finish within the timeout (it was killed)
         * @throws UncheckedIOException if it could not be started (e.g. program not found)
         */
        public Result run() {
            ProcessBuilder pb = new ProcessBuilder(command);
            if (directory != null) {
                pb.directory(directory.toFile());
            }
            Map<String, String> childEnv = pb.environment();
            childEnv.keySet().removeIf(k -> k.startsWith("PG"));
            env.forEach((k, v) -> {
                if (v == null) {
                    childEnv.remove(k);
                } else {
                    childEnv.put(k, v);
                }
            });

            Process process;
            try {
                process = pb.start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start " + String.join(" ", command), e);
            }
            Drain out = Drain.start(process.getInputStream(), "stdout", process.pid());
            Drain err = Drain.start(process.getErrorStream(), "stderr", process.pid());
            feedStdin(process);

            boolean exited;
            try {
                exited = process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                killTree(process);
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while running " + String.join(" ", command), e);
            }
            if (!exited) {
                killTree(process);
                out.await(DRAIN_GRACE);
                err.await(DRAIN_GRACE);
                throw new ProcessTimeoutException(command, timeout, out.text(), err.text());
            }
            // A grandchild that outlives the command (a daemon) may hold the pipes open: don't wait
            // for it forever, take what has been written.
            out.await(DRAIN_GRACE);
            err.await(DRAIN_GRACE);
            return new Result(process.exitValue(), out.text(), err.text());
        }

        /** Like {@link #run()}, but throws {@link AssertionError} unless the exit code is 0. */
        public Result runChecked() {
            return run().assertSuccess(String.join(" ", command));
        }

        private void feedStdin(Process process) {
            OutputStream in = process.getOutputStream();
            if (stdin == null) {
                closeQuietly(in);
                return;
            }
            byte[] bytes = stdin.getBytes(StandardCharsets.UTF_8);
            // In its own thread: a child that writes a lot before reading stdin must not deadlock us.
            Thread t = new Thread(() -> {
                try (in) {
                    in.write(bytes);
                } catch (IOException ignored) {
                    // The child exited (or closed stdin) without reading everything: not our problem.
                }
            }, "processes-stdin-" + process.pid());
            t.setDaemon(true);
            t.start();
        }
    }

    /**
     * Forcibly kills {@code process} and all its current descendants, by handle. Descendants are
     * collected first, while they are still linked to the process.
     */
    static void killTree(Process process) {
        List<ProcessHandle> descendants = process.descendants().toList();
        process.destroyForcibly();
        descendants.forEach(ProcessHandle::destroyForcibly);
        try {
            process.waitFor(DRAIN_GRACE.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }

    /** Reads one stream to its end in a daemon thread. */
    private static final class Drain {
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final Thread thread;

        private Drain(InputStream in, String name, long pid) {
            thread = new Thread(() -> {
                byte[] chunk = new byte[8192];
                try (in) {
                    int n;
                    while ((n = in.read(chunk)) != -1) {
                        synchronized (buffer) {
                            buffer.write(chunk, 0, n);
                        }
                    }
                } catch (IOException ignored) {
                    // stream closed under us: keep what we have
                }
            }, "processes-" + name + "-" + pid);
            thread.setDaemon(true);
        }

        static Drain start(InputStream in, String name, long pid) {
            Drain d = new Drain(in, name, pid);
            d.thread.start();
            return d;
        }

        void await(Duration max) {
            try {
                thread.join(max.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        String text() {
            synchronized (buffer) {
                return buffer.toString(StandardCharsets.UTF_8);
            }
        }
    }
}

package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.cli.mixin.FleetOptions;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.client.ConnectFailedException;
import dev.poolctl.client.PasswordRequiredException;
import java.io.Console;
import java.io.EOFException;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * One admin-console step on every instance of a fleet, a few at a time, each with its own connection and
 * timeouts: an instance that cannot be reached or refuses is reported with why and never stops the others. The
 * answers come back in the order the instances were given.
 */
final class FleetRun {
    /** What one instance answered, or why it could not ({@code value} null, {@code code} the exit code it would give). */
    record Answer<T>(FleetOptions.Instance instance, T value, String error, int code) {
        boolean ok() {
            return error == null;
        }
    }

    /** The step a command runs on each instance. */
    @FunctionalInterface
    interface Step<T> {
        T apply(AdminClient client) throws IOException, AdminException, InterruptedException;
    }

    static final int PARALLEL = 8;

    private FleetRun() {}

    static <T> List<Answer<T>> run(List<FleetOptions.Instance> instances, AdminConnectionOptions connection,
                                   int defaultTimeoutSeconds, PrintWriter err, Step<T> step)
            throws AdminConnectionOptions.OptionsException, InterruptedException {
        Function<String, String> prompt = sharedPrompt(System.console());
        List<AdminConnectionOptions.Resolved> resolved = new ArrayList<>();
        for (FleetOptions.Instance i : instances) {
            resolved.add(connection.resolveAt(i, err, prompt));
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.min(PARALLEL, Math.max(1, instances.size())), r -> {
            Thread t = new Thread(r, "poolctl-fleet");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<Answer<T>>> futures = new ArrayList<>();
            for (int i = 0; i < instances.size(); i++) {
                FleetOptions.Instance instance = instances.get(i);
                AdminConnectionOptions.Resolved r = resolved.get(i);
                futures.add(pool.submit(() -> one(instance, r, defaultTimeoutSeconds, step)));
            }
            List<Answer<T>> answers = new ArrayList<>();
            for (Future<Answer<T>> f : futures) {
                try {
                    answers.add(f.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    throw new IllegalStateException(e.getCause());
                }
            }
            return answers;
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> Answer<T> one(FleetOptions.Instance instance, AdminConnectionOptions.Resolved r,
                                     int defaultTimeoutSeconds, Step<T> step) {
        try (AdminClient client = AdminClient.connect(r.target(), r.password(), r.connectTimeoutMillis(),
                r.readTimeoutMillis(defaultTimeoutSeconds))) {
            return new Answer<>(instance, step.apply(client), null, ExitCodes.OK);
        } catch (ConnectFailedException e) {
            return new Answer<>(instance, null, "unreachable: " + e.getMessage(), ExitCodes.UNREACHABLE);
        } catch (AdminException e) {
            return new Answer<>(instance, null, e.getMessage() + " (SQLSTATE " + e.sqlState() + ")",
                    ExitCodes.REFUSED);
        } catch (PasswordRequiredException e) {
            return new Answer<>(instance, null, e.getMessage(), ExitCodes.ERROR);
        } catch (SocketTimeoutException e) {
            return new Answer<>(instance, null, "timed out waiting for the pooler", ExitCodes.ERROR);
        } catch (EOFException e) {
            return new Answer<>(instance, null, "the pooler closed the connection", ExitCodes.ERROR);
        } catch (IOException | RuntimeException e) {
            return new Answer<>(instance, null, String.valueOf(e.getMessage()), ExitCodes.ERROR);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Answer<>(instance, null, "interrupted", ExitCodes.INTERRUPTED);
        }
    }

    /** The exit code of a fleet run: 0 when every instance answered, else the highest code of those that did not. */
    static int exitCode(List<? extends Answer<?>> answers) {
        int code = ExitCodes.OK;
        for (Answer<?> a : answers) {
            code = Math.max(code, a.code());
        }
        return code;
    }

    /** A password asked at most once per user for the whole fleet, and only where there is a console. */
    static Function<String, String> sharedPrompt(Console console) {
        if (console == null) {
            return who -> null;
        }
        Map<String, String> asked = new HashMap<>();
        return who -> {
            synchronized (asked) {
                if (!asked.containsKey(who)) {
                    char[] typed = console.readPassword("Password for user %s (every instance): ", who);
                    asked.put(who, typed == null ? null : new String(typed));
                }
                return asked.get(who);
            }
        };
    }
}

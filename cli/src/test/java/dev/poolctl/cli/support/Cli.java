package dev.poolctl.cli.support;

import dev.poolctl.cli.Poolctl;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Runs {@code Poolctl.run} in-process and keeps exit code, stdout and stderr. */
public record Cli(int code, String out, String err) {
    public static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Poolctl.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** {@link #run(String...)} with {@code stdin} as the command's input. */
    public static Cli runWithInput(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Poolctl.run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** {@link #run(String...)} with {@code env} as the whole environment (start --from-env, config from-env). */
    public static Cli runWithEnv(java.util.Map<String, String> env, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Poolctl.run(System.in, env, new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** For assertion messages. */
    public String describe(String... args) {
        return "poolctl " + String.join(" ", Arrays.asList(args)) + " -> exit " + code + "\n--- stdout\n" + out
                + "--- stderr\n" + err;
    }

    @Override
    public String toString() {
        return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}

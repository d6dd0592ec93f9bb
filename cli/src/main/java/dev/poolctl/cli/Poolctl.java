package dev.poolctl.cli;

import dev.poolctl.cli.commands.Completion;
import dev.poolctl.cli.commands.ConfigCommand;
import dev.poolctl.cli.commands.Console;
import dev.poolctl.cli.commands.Disable;
import dev.poolctl.cli.commands.Drain;
import dev.poolctl.cli.commands.Enable;
import dev.poolctl.cli.commands.Kill;
import dev.poolctl.cli.commands.KillClient;
import dev.poolctl.cli.commands.Pause;
import dev.poolctl.cli.commands.Reconnect;
import dev.poolctl.cli.commands.Reload;
import dev.poolctl.cli.commands.Resume;
import dev.poolctl.cli.commands.Show;
import dev.poolctl.cli.commands.Shutdown;
import dev.poolctl.cli.commands.Start;
import dev.poolctl.cli.commands.Stop;
import dev.poolctl.cli.commands.Status;
import dev.poolctl.cli.commands.Suspend;
import dev.poolctl.cli.commands.Top;
import dev.poolctl.cli.commands.UserlistCommand;
import dev.poolctl.cli.commands.WaitClose;
import dev.poolctl.cli.commands.Why;
import dev.poolctl.pooler.Version;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code poolctl} command: operator front-end of the pooler. */
@Command(
        name = "poolctl",
        mixinStandardHelpOptions = true,
        versionProvider = Poolctl.VersionProvider.class,
        // Every command's help text, in one place (inherited by the subcommands).
        resourceBundle = "dev.poolctl.cli.HelpText",
        subcommands = {Start.class, Status.class, Show.class, Reload.class, Pause.class, Resume.class, Kill.class,
            KillClient.class, Reconnect.class, Disable.class, Enable.class, Suspend.class, Shutdown.class, Drain.class,
            WaitClose.class, Console.class, Top.class, Why.class, UserlistCommand.class, ConfigCommand.class, Stop.class,
            Completion.class, CommandLine.HelpCommand.class})
public final class Poolctl {

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Where commands read input (passwords with --password-stdin); System.in unless a caller gives another. */
    private InputStream stdin = System.in;

    /** The environment start --from-env and config from-env read; the process's unless a caller gives another. */
    private Map<String, String> env = System.getenv();

    /** Runs a command line and returns its exit code; tests call this in-process. Input is System.in. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return run(System.in, out, err, args);
    }

    /** {@link #run(PrintWriter, PrintWriter, String...)} with its own stdin, so that calls can run in parallel. */
    public static int run(InputStream in, PrintWriter out, PrintWriter err, String... args) {
        return run(in, System.getenv(), out, err, args);
    }

    /** {@link #run(InputStream, PrintWriter, PrintWriter, String...)} with its own environment too. */
    public static int run(InputStream in, Map<String, String> env, PrintWriter out, PrintWriter err, String... args) {
        Poolctl root = new Poolctl();
        root.stdin = in;
        root.env = Map.copyOf(env);
        CommandLine cl = new CommandLine(root);
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    /** The input of this run, for subcommands (through {@code spec.root().userObject()}). */
    public InputStream stdin() {
        return stdin;
    }

    /** The environment of this run, for subcommands (through {@code spec.root().userObject()}). */
    public Map<String, String> env() {
        return env;
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            // As `pgbouncer -V`: tools (PgBouncer's test suite among them) look for the tls line to find TLS support.
            return new String[] {"poolctl " + Version.VERSION,
                "tls: " + dev.poolctl.pooler.net.TlsContexts.libraryVersion()};
        }
    }
}

package dev.poolctl.cli;

import dev.poolctl.cli.commands.Show;
import dev.poolctl.cli.commands.Start;
import dev.poolctl.pooler.Version;
import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code poolctl} command: operator front-end of the pooler. */
@Command(
        name = "poolctl",
        mixinStandardHelpOptions = true,
        versionProvider = Poolctl.VersionProvider.class,
        description = "A PgBouncer-compatible PostgreSQL connection pooler and its operator tools.",
        subcommands = {Start.class, Show.class, CommandLine.HelpCommand.class},
        footer = {"", "Example:", "  poolctl start -c /etc/pgbouncer/pgbouncer.ini"})
public final class Poolctl {

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs a command line and returns its exit code; tests call this in-process. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Poolctl());
        cl.setOut(out);
        cl.setErr(err);
        return cl.execute(args);
    }

    static final class VersionProvider implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"poolctl " + Version.VERSION};
        }
    }
}

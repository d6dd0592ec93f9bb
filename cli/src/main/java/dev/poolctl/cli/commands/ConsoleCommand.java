package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import java.io.IOException;
import picocli.CommandLine.Option;

/** A control command: sends one console command and prints its command tag (nothing with --quiet). */
public abstract class ConsoleCommand extends AdminCommand {
    @Option(names = {"-q", "--quiet"}, description = "print nothing on success")
    boolean quiet;

    /** The console command to send. */
    protected abstract String sql();

    /** Control commands such as PAUSE answer when done: wait for them unless --timeout says otherwise. */
    @Override
    protected int defaultTimeoutSeconds() {
        return 0;
    }

    @Override
    protected int run(AdminClient client) throws IOException, AdminException {
        AdminClient.Result r = client.query(sql());
        printNotices(r);
        if (!quiet && !r.commandTag().isEmpty()) {
            out().println(r.commandTag());
        }
        return ExitCodes.OK;
    }

    /** A database or client argument: one word, so it cannot smuggle a second command. */
    protected static String checkWord(String what, String value) {
        if (value != null && (value.isEmpty() || !value.matches("[^\\s;'\"\\\\]+"))) {
            return "invalid " + what + ": '" + value + "'";
        }
        return null;
    }

    protected static String withArg(String command, String arg) {
        return arg == null ? command : command + " " + arg;
    }
}

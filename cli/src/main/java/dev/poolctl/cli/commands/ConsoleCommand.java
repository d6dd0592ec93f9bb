package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.cli.mixin.FleetOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Option;

/** A control command: sends one console command and prints its command tag (nothing with --quiet). */
public abstract class ConsoleCommand extends AdminCommand {
    @Option(names = {"-q", "--quiet"})
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

    /**
     * The command on every instance, after one confirmation (a terminal's y, or --yes): each instance's tag or why it
     * failed, one line each.
     */
    @Override
    protected int runFleet(List<FleetOptions.Instance> instances)
            throws AdminConnectionOptions.OptionsException, InterruptedException {
        PrintWriter out = out();
        String what = sql() + " on " + instances.size() + " instance(s): " + instances.stream()
                .map(FleetOptions.Instance::toString).collect(java.util.stream.Collectors.joining(", "));
        if (!fleetOptions().yes()) {
            java.io.Console console = System.console();
            if (console == null) {
                err().println("poolctl " + spec.name() + ": " + what + ": confirm with --yes (no terminal to ask on)");
                return ExitCodes.USAGE;
            }
            String answer = console.readLine("%s? [y/N] ", what);
            if (answer == null || !answer.trim().equalsIgnoreCase("y")) {
                err().println("poolctl " + spec.name() + ": not confirmed; nothing was sent");
                return ExitCodes.USAGE;
            }
        }
        List<FleetRun.Answer<AdminClient.Result>> answers = FleetRun.run(instances, connection,
                defaultTimeoutSeconds(), err(), client -> client.query(sql()));
        for (FleetRun.Answer<AdminClient.Result> a : answers) {
            if (a.ok()) {
                printNotices(a.value());
                if (!quiet) {
                    out.println(a.instance() + ": " + a.value().commandTag());
                }
            } else {
                err().println("poolctl: " + a.instance() + ": " + a.error());
            }
        }
        return FleetRun.exitCode(answers);
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

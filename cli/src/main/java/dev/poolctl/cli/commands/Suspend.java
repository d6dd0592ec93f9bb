package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;

/** {@code poolctl suspend}: the console's SUSPEND. */
@Command(name = "suspend")
public final class Suspend extends ConsoleCommand {
    @Override
    protected String sql() {
        return "SUSPEND";
    }
}

package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;

/** {@code poolctl suspend}: the console's SUSPEND. */
@Command(
        name = "suspend",
        description = {"Flush socket buffers and stop reading from any socket (for an online restart)."},
        footer = {"", "Examples:", "  poolctl suspend"})
public final class Suspend extends ConsoleCommand {
    @Override
    protected String sql() {
        return "SUSPEND";
    }
}

package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;

/** {@code poolctl reload}: the console's RELOAD. */
@Command(
        name = "reload",
        description = {"Re-read the config file and auth_file (the console's RELOAD)."},
        footer = {"", "Examples:", "  poolctl reload -c /etc/pgbouncer/pgbouncer.ini", "  poolctl reload -h /var/run/postgresql -U pgbouncer"})
public final class Reload extends ConsoleCommand {
    @Override
    protected String sql() {
        return "RELOAD";
    }
}

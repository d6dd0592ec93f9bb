package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl wait-close}: the console's WAIT_CLOSE. */
@Command(
        name = "wait-close",
        description = {"Wait until the servers of all databases, or one, closed after reconnect or reload."},
        footer = {"", "Examples:", "  poolctl reconnect appdb && poolctl wait-close appdb"})
public final class WaitClose extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", description = "only this database (default: all)")
    String db;

    @Override
    protected String verb() {
        return "WAIT_CLOSE";
    }

    @Override
    protected String argument() {
        return db;
    }
}

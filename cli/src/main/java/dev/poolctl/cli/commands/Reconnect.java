package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl reconnect}: the console's RECONNECT. */
@Command(
        name = "reconnect",
        description = {"Close server connections once released, so new ones are opened (after a failover)."},
        footer = {"", "Examples:", "  poolctl reconnect", "  poolctl reconnect appdb"})
public final class Reconnect extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", description = "only this database (default: all)")
    String db;

    @Override
    protected String verb() {
        return "RECONNECT";
    }

    @Override
    protected String argument() {
        return db;
    }
}

package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl pause}: the console's PAUSE. */
@Command(
        name = "pause",
        description = {"Pause all databases, or one: wait until every server is released, then close them.",
            "Returns when the pause is complete (RESUME undoes it)."},
        footer = {"", "Examples:", "  poolctl pause", "  poolctl pause appdb --timeout 60"})
public final class Pause extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", description = "only this database (default: all)")
    String db;

    @Override
    protected String verb() {
        return "PAUSE";
    }

    @Override
    protected String argument() {
        return db;
    }
}

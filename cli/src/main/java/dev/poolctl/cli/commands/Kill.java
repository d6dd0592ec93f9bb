package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl kill}: the console's KILL. */
@Command(
        name = "kill",
        description = {"Drop every client and server connection of a database and pause it (resume undoes it)."},
        footer = {"", "Examples:", "  poolctl kill appdb && poolctl resume appdb"})
public final class Kill extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "DB", description = "the database")
    String db;

    @Override
    protected String verb() {
        return "KILL";
    }

    @Override
    protected String argument() {
        return db;
    }
}

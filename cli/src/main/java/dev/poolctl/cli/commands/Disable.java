package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl disable}: the console's DISABLE. */
@Command(
        name = "disable",
        description = {"Refuse new client connections to a database (existing ones go on)."},
        footer = {"", "Examples:", "  poolctl disable appdb"})
public final class Disable extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "DB", description = "the database")
    String db;

    @Override
    protected String verb() {
        return "DISABLE";
    }

    @Override
    protected String argument() {
        return db;
    }
}

package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl disable}: the console's DISABLE. */
@Command(name = "disable")
public final class Disable extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "DB", descriptionKey = "DB")
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

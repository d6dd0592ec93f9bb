package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl kill}: the console's KILL. */
@Command(name = "kill")
public final class Kill extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "DB", descriptionKey = "DB")
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

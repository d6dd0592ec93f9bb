package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl wait-close}: the console's WAIT_CLOSE. */
@Command(name = "wait-close")
public final class WaitClose extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", descriptionKey = "DB")
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

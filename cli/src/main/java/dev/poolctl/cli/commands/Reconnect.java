package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl reconnect}: the console's RECONNECT. */
@Command(name = "reconnect")
public final class Reconnect extends ArgumentCommand {
    @Parameters(arity = "0..1", paramLabel = "DB", descriptionKey = "DB")
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

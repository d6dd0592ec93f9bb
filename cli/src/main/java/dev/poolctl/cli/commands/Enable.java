package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl enable}: the console's ENABLE. */
@Command(name = "enable")
public final class Enable extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "DB", descriptionKey = "DB")
    String db;

    @Override
    protected String verb() {
        return "ENABLE";
    }

    @Override
    protected String argument() {
        return db;
    }
}

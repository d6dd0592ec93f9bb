package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl kill-client}: the console's KILL_CLIENT. */
@Command(name = "kill-client")
public final class KillClient extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "ID", descriptionKey = "ID")
    String id;

    @Override
    protected String verb() {
        return "KILL_CLIENT";
    }

    @Override
    protected String argument() {
        return id;
    }

    @Override
    protected String argumentName() {
        return "client id";
    }
}

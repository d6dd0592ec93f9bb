package dev.poolctl.cli.commands;

import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code poolctl kill-client}: the console's KILL_CLIENT. */
@Command(
        name = "kill-client",
        description = {"Close one client connection (its id is the id column of 'poolctl show clients')."},
        footer = {"", "Examples:", "  poolctl kill-client 17"})
public final class KillClient extends ArgumentCommand {
    @Parameters(index = "0", paramLabel = "ID", description = "the client's id (id column of show clients)")
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

package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import java.io.EOFException;
import java.io.IOException;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code poolctl shutdown}: the console's SHUTDOWN; the pooler closing the connection is success. */
@Command(name = "shutdown")
public final class Shutdown extends ConsoleCommand {
    static final class Mode {
        @Option(names = "--wait-for-servers")
        boolean servers;

        @Option(names = "--wait-for-clients")
        boolean clients;
    }

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Mode mode;

    @Override
    protected String sql() {
        if (mode == null) {
            return "SHUTDOWN";
        }
        return mode.servers ? "SHUTDOWN WAIT_FOR_SERVERS" : "SHUTDOWN WAIT_FOR_CLIENTS";
    }

    @Override
    protected int run(AdminClient client) throws IOException, AdminException {
        try {
            return super.run(client);
        } catch (EOFException closed) {
            // PgBouncer exits without answering: the connection closing is the answer.
            if (!quiet) {
                out().println("SHUTDOWN");
            }
            return ExitCodes.OK;
        }
    }
}

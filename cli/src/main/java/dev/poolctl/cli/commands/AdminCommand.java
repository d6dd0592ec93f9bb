package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.client.ConnectFailedException;
import dev.poolctl.client.PasswordRequiredException;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.cli.mixin.FleetOptions;
import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintWriter;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * A command that talks to the admin console. The only place where failures become exit codes: cannot connect
 * = 3, ErrorResponse = 4 ({@code poolctl: <message> (SQLSTATE xxxxx)}), anything else = 1; no stack traces.
 */
@Command(sortOptions = false)
public abstract class AdminCommand implements Callable<Integer> {
    @Spec
    protected CommandSpec spec;

    @Mixin
    protected AdminConnectionOptions connection;

    // Not mixinStandardHelpOptions: -h is the host, as in psql.
    @Option(names = {"-?", "--help"}, usageHelp = true)
    boolean help;

    /** Where the command connected, with the password asked at most once; set before {@link #run}. */
    protected AdminConnectionOptions.Resolved resolved;

    /** Runs the command on a logged-in client; returns the exit code. */
    protected abstract int run(AdminClient client) throws IOException, AdminException, InterruptedException;

    /** Seconds to wait for an answer when --timeout is not given; 0 = as long as it takes. */
    protected int defaultTimeoutSeconds() {
        return 30;
    }

    /** The fleet options of a command that can run on several instances at once; null for the others. */
    protected FleetOptions fleetOptions() {
        return null;
    }

    /** Runs the command on every instance (given with the fleet options) and prints the outcome; the exit code. */
    protected int runFleet(List<FleetOptions.Instance> instances)
            throws AdminConnectionOptions.OptionsException, InterruptedException {
        throw new UnsupportedOperationException(spec.name() + " runs on one instance");
    }

    /** False for a run that needs no pooler at all (top --replay): {@link #runOffline} then runs instead. */
    protected boolean needsConnection() {
        return true;
    }

    /** The run of a command that needs no connection; the exit code. */
    protected int runOffline() throws IOException, InterruptedException {
        throw new UnsupportedOperationException(spec.name() + " needs a pooler");
    }

    /** Checks arguments before connecting; returns an error message for a usage error, else null. */
    protected String validate() {
        return null;
    }

    protected PrintWriter out() {
        return spec.commandLine().getOut();
    }

    protected PrintWriter err() {
        return spec.commandLine().getErr();
    }

    @Override
    public final Integer call() {
        PrintWriter err = err();
        try {
            String invalid = validate();
            if (invalid != null) {
                err.println("poolctl " + spec.name() + ": " + invalid);
                err.println("Try 'poolctl " + spec.name() + " --help' for more information.");
                return ExitCodes.USAGE;
            }
            if (!needsConnection()) {
                return runOffline();
            }
            FleetOptions fleet = fleetOptions();
            if (fleet != null && fleet.given()) {
                try {
                    AdminClient.Target self = connection.resolve(err).target();
                    return runFleet(fleet.instances(connection.configFile(),
                            new FleetOptions.Instance(self.host(), self.port())));
                } catch (AdminConnectionOptions.OptionsException e) {
                    err.println("poolctl " + spec.name() + ": " + e.getMessage());
                    return ExitCodes.USAGE;
                }
            }
            AdminConnectionOptions.Resolved r;
            try {
                r = connection.resolve(err).rememberingPassword();
            } catch (AdminConnectionOptions.OptionsException e) {
                err.println("poolctl: " + e.getMessage());
                return ExitCodes.USAGE;
            }
            resolved = r;
            try (AdminClient client = AdminClient.connect(r.target(), r.password(), r.connectTimeoutMillis(),
                    r.readTimeoutMillis(defaultTimeoutSeconds()))) {
                return run(client);
            }
        } catch (ConnectFailedException e) {
            err.println("poolctl: " + e.getMessage());
            return ExitCodes.UNREACHABLE;
        } catch (AdminException e) {
            err.println("poolctl: " + e.getMessage() + " (SQLSTATE " + e.sqlState() + ")");
            return ExitCodes.REFUSED;
        } catch (PasswordRequiredException e) {
            err.println("poolctl: " + e.getMessage());
            return ExitCodes.ERROR;
        } catch (SocketTimeoutException e) {
            err.println("poolctl: timed out waiting for the pooler (see --timeout, --connect-timeout)");
            return ExitCodes.ERROR;
        } catch (InterruptedIOException | InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("poolctl: interrupted");
            return ExitCodes.INTERRUPTED;
        } catch (EOFException e) {
            err.println("poolctl: the pooler closed the connection");
            return ExitCodes.ERROR;
        } catch (IOException e) {
            err.println("poolctl: " + e.getMessage());
            return ExitCodes.ERROR;
        } finally {
            err.flush();
            out().flush();
        }
    }

    /** Prints the notices of a result on stderr, as psql does. */
    protected void printNotices(AdminClient.Result r) {
        for (String n : r.notices()) {
            err().println("NOTICE:  " + n);
        }
    }
}

package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import java.io.IOException;
import java.io.PrintWriter;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.cli.mixin.FleetOptions;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code poolctl status}: is the pooler up, which version, and a summary of its pools. */
@Command(name = "status")
public final class Status extends AdminCommand {
    @Mixin
    FleetOptions fleet;

    @Option(names = "--ping")
    boolean ping;

    /** One pooler's version and pool totals. */
    record Summary(String version, int pools, long clActive, long clWaiting, long svActive, long svIdle, long svUsed) {
        /** {@code N (clients ... used)}: the pools and their counts. */
        String counts() {
            return pools + " (clients " + clActive + " active, " + clWaiting + " waiting; servers "
                    + svActive + " active, " + svIdle + " idle, " + svUsed + " used)";
        }
    }

    @Override
    protected FleetOptions fleetOptions() {
        return fleet;
    }

    @Override
    protected String validate() {
        return ping && fleet.given() ? "--ping checks one instance" : null;
    }

    @Override
    protected boolean needsConnection() {
        return !ping;
    }

    /** --ping: up when the pooler answers a startup, as pg_isready; no login, so no password (a HEALTHCHECK). */
    @Override
    protected int runOffline() throws IOException {
        AdminConnectionOptions.Resolved r;
        try {
            r = connection.resolve(err());
        } catch (AdminConnectionOptions.OptionsException e) {
            err().println("poolctl: " + e.getMessage());
            return ExitCodes.USAGE;
        }
        String answer = AdminClient.ping(r.target(), r.connectTimeoutMillis());
        out().println("up: " + r.target().describe() + " (answers: " + answer + ")");
        return ExitCodes.OK;
    }

    @Override
    protected int run(AdminClient client) throws IOException, AdminException {
        PrintWriter out = out();
        Summary s = summary(client);
        out.println("up: " + client.target().describe() + " (user " + client.target().user() + ")");
        out.println("version: " + s.version());
        out.println("pools: " + s.counts());
        return ExitCodes.OK;
    }

    /** One line per instance, up or down with why, then how many are up; exit 0 only when all are. */
    @Override
    protected int runFleet(List<FleetOptions.Instance> instances)
            throws AdminConnectionOptions.OptionsException, InterruptedException {
        PrintWriter out = out();
        List<FleetRun.Answer<Summary>> answers = FleetRun.run(instances, connection, defaultTimeoutSeconds(), err(),
                Status::summary);
        int width = answers.stream().mapToInt(a -> a.instance().toString().length()).max().orElse(0);
        int up = 0;
        for (FleetRun.Answer<Summary> a : answers) {
            String name = String.format("%-" + width + "s", a.instance());
            if (a.ok()) {
                up++;
                out.println("up    " + name + "  " + a.value().version() + "  pools " + a.value().counts());
            } else {
                out.println("down  " + name + "  " + a.error());
            }
        }
        out.println(up + " of " + answers.size() + " instances up");
        return FleetRun.exitCode(answers);
    }

    static Summary summary(AdminClient client) throws IOException, AdminException {
        AdminClient.Result version = client.query("SHOW VERSION");
        String v = version.rows().isEmpty() || version.rows().get(0).isEmpty() ? "?" : version.rows().get(0).get(0);
        AdminClient.Result pools = client.query("SHOW POOLS");
        return new Summary(v, pools.rows().size(), sum(pools, "cl_active"), sum(pools, "cl_waiting"),
                sum(pools, "sv_active"), sum(pools, "sv_idle"), sum(pools, "sv_used"));
    }

    private static long sum(AdminClient.Result r, String column) {
        int i = r.columns().indexOf(column);
        if (i < 0) {
            return 0;
        }
        long total = 0;
        for (List<String> row : r.rows()) {
            try {
                total += row.get(i) == null ? 0 : Long.parseLong(row.get(i));
            } catch (NumberFormatException e) {
                // not a count: leave it out
            }
        }
        return total;
    }
}

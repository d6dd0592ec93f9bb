package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code poolctl status}: is the pooler up, which version, and a summary of its pools. */
@Command(
        name = "status",
        description = {"Tell whether the pooler is up, with its version and a summary of its pools.",
            "Exit code 0 when up, 3 when it cannot be reached."},
        footer = {"", "Examples:", "  poolctl status -c /etc/pgbouncer/pgbouncer.ini",
            "  poolctl status -p 6432 -U admin || echo 'pooler down'"})
public final class Status extends AdminCommand {
    @Override
    protected int run(AdminClient client) throws IOException, AdminException {
        PrintWriter out = out();
        AdminClient.Result version = client.query("SHOW VERSION");
        String v = version.rows().isEmpty() || version.rows().get(0).isEmpty() ? "?" : version.rows().get(0).get(0);
        AdminClient.Result pools = client.query("SHOW POOLS");
        long clActive = sum(pools, "cl_active");
        long clWaiting = sum(pools, "cl_waiting");
        long svActive = sum(pools, "sv_active");
        long svIdle = sum(pools, "sv_idle");
        long svUsed = sum(pools, "sv_used");
        out.println("up: " + client.target().describe() + " (user " + client.target().user() + ")");
        out.println("version: " + v);
        out.println("pools: " + pools.rows().size() + " (clients " + clActive + " active, " + clWaiting
                + " waiting; servers " + svActive + " active, " + svIdle + " idle, " + svUsed + " used)");
        return ExitCodes.OK;
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

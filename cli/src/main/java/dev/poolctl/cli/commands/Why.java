package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.output.ResultFormatter;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.client.JsonText;
import dev.poolctl.client.WhyWaiting;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code poolctl why [DB [USER]]}: for each pool with waiting clients, the limit or state that holds them. */
@Command(name = "why")
public final class Why extends AdminCommand {
    enum Format { table, json }

    @Parameters(index = "0", arity = "0..1", paramLabel = "DB", descriptionKey = "DB")
    String database;

    @Parameters(index = "1", arity = "0..1", paramLabel = "USER", descriptionKey = "USER")
    String user;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "table")
    Format format;

    @Override
    protected int run(AdminClient client) throws IOException, AdminException {
        WhyWaiting.Report report = WhyWaiting.ask(client);
        List<WhyWaiting.Row> rows = new ArrayList<>();
        for (WhyWaiting.Row r : report.rows()) {
            if ((database == null || database.equals(r.database())) && (user == null || user.equals(r.user()))) {
                rows.add(r);
            }
        }
        PrintWriter out = out();
        out.print(format == Format.json ? json(client, report, rows) : text(client, report, rows));
        out.flush();
        return ExitCodes.OK;
    }

    private String text(AdminClient client, WhyWaiting.Report report, List<WhyWaiting.Row> rows) {
        StringBuilder sb = new StringBuilder();
        sb.append(client.target().describe()).append(": ").append(report.version().isEmpty() ? "?" : report.version())
                .append(report.inferred() ? " (causes inferred from its SHOW lists: it has no SHOW WAITS)"
                        : " (causes from SHOW WAITS)").append('\n');
        if (report.nearMaxClientConn()) {
            sb.append("max_client_conn: ").append(report.clients()).append(" of ").append(report.maxClientConn())
                    .append(" client connections in use: new clients will soon be refused\n");
        }
        if (rows.isEmpty()) {
            return sb.append("no client is waiting").append(database == null ? "" : " in " + database
                    + (user == null ? "" : " as " + user)).append('\n').toString();
        }
        List<List<String>> table = new ArrayList<>();
        for (WhyWaiting.Row r : rows) {
            table.add(List.of(r.database(), r.user(), Long.toString(r.clWaiting()),
                    String.format(java.util.Locale.ROOT, "%.1f", r.maxwaitUs() / 1e6), r.cause(), r.detail()));
        }
        AdminClient.Result result = new AdminClient.Result(List.of("database", "user", "cl_waiting", "maxwait_s",
                "cause", "detail"), List.of(25, 25, 20, 1700, 25, 25), table, "SHOW", List.of());
        return sb.append(ResultFormatter.table(result)).toString();
    }

    private static String json(AdminClient client, WhyWaiting.Report report, List<WhyWaiting.Row> rows) {
        StringBuilder sb = new StringBuilder("{\"target\": ");
        JsonText.append(sb, client.target().describe());
        sb.append(", \"version\": ");
        JsonText.append(sb, report.version());
        sb.append(", \"inferred\": ").append(report.inferred()).append(", \"clients\": ").append(report.clients())
                .append(", \"max_client_conn\": ").append(report.maxClientConn())
                .append(", \"near_max_client_conn\": ").append(report.nearMaxClientConn()).append(", \"pools\": [");
        for (int i = 0; i < rows.size(); i++) {
            WhyWaiting.Row r = rows.get(i);
            sb.append(i == 0 ? "\n  {" : ",\n  {").append("\"database\": ");
            JsonText.append(sb, r.database());
            sb.append(", \"user\": ");
            JsonText.append(sb, r.user());
            sb.append(", \"cl_waiting\": ").append(r.clWaiting()).append(", \"maxwait_us\": ").append(r.maxwaitUs())
                    .append(", \"cause\": ");
            JsonText.append(sb, r.cause());
            sb.append(", \"detail\": ");
            JsonText.append(sb, r.detail());
            sb.append('}');
        }
        return sb.append(rows.isEmpty() ? "]}\n" : "\n]}\n").toString();
    }
}

package dev.poolctl.cli.commands;

import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.DefaultTerminalFactory;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.ansi.UnixLikeTerminal;
import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.tui.Dashboard;
import dev.poolctl.tui.OnceReport;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.source.AdminConsoleActions;
import dev.poolctl.tui.source.AdminSnapshotSource;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code poolctl top}: the live dashboard over the admin console, or one report with --once. */
@Command(
        name = "top",
        description = {"A live dashboard of the pooler: pools with waiting clients, saturation, rates (tps, qps, "
                + "bytes/s, wait) and history, alerts, and the clients, servers, stats, databases and config lists "
                + "(and poolctl's hazards).",
            "It polls the admin console only, so it works against poolctl and PgBouncer alike.",
            "Keys: 1-7 or Tab views, / filter, s sort, +/- refresh interval, Space freeze, ? help, q quit; "
                    + "p pause, r resume, R reload, c reconnect, K kill the selected database (asks first; "
                    + "not with --readonly).",
            "With --once: take two samples one interval apart and print one report, for scripts and CI."},
        footer = {"", "Examples:", "  poolctl top -p 6432 -U admin",
            "  poolctl top -c /etc/pgbouncer/pgbouncer.ini --interval 2s --readonly",
            "  poolctl top --once --format json | jq '.pools[] | select(.cl_waiting > 0)'"})
public final class Top extends AdminCommand {
    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class,
            description = "time between polls (e.g. 500ms, 2s; default: ${DEFAULT-VALUE})")
    Duration interval;

    @Option(names = "--for", paramLabel = "DURATION", converter = DurationConverter.class,
            description = "quit by itself after DURATION (e.g. 2m), as if q was pressed (scripts/demo uses it)")
    Duration runFor;

    @Option(names = "--readonly", description = "no actions: only look (no PAUSE, RESUME, RELOAD, RECONNECT, KILL)")
    boolean readonly;

    @Option(names = "--once", description = "print one report with rates (two samples) instead of the dashboard")
    boolean once;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "with --once: table or json (default: ${DEFAULT-VALUE})")
    OnceReport.OutputFormat format;

    @Option(names = "--alert-after", paramLabel = "DURATION", defaultValue = "5s",
            converter = DurationConverter.class,
            description = "raise an alert once a condition (clients waiting, pool near its size, no server) has "
                    + "held this long (default: ${DEFAULT-VALUE}; --once reports what held in both samples)")
    Duration alertAfter;

    @Option(names = "--maxwait-warn", paramLabel = "DURATION", defaultValue = "1s",
            converter = DurationConverter.class,
            description = "show maxwait in red from this wait on (default: ${DEFAULT-VALUE})")
    Duration maxwaitWarn;

    /** Each poll must answer within this, so a stuck pooler shows up as "reconnecting" instead of a frozen screen. */
    @Override
    protected int defaultTimeoutSeconds() {
        return 10;
    }

    @Override
    protected String validate() {
        if (interval.toMillis() < 100) {
            return "--interval must be at least 100ms";
        }
        if (runFor != null && (runFor.isZero() || runFor.isNegative())) {
            return "--for must be a positive duration";
        }
        if (runFor != null && once) {
            return "--for has no meaning with --once";
        }
        return null;
    }

    @Override
    protected int run(AdminClient first) throws IOException, AdminException, InterruptedException {
        AdminConnectionOptions.Resolved r = resolved;
        AdminSnapshotSource.Connector connector = () -> AdminClient.connect(r.target(), r.password(),
                r.connectTimeoutMillis(), r.readTimeoutMillis(defaultTimeoutSeconds()));
        AlertRules rules = new AlertRules(alertAfter, AlertRules.DEFAULT.saturation(), maxwaitWarn);
        Clock clock = Clock.systemDefaultZone();
        try (AdminSnapshotSource source = new AdminSnapshotSource(connector, r.target().describe(), clock)) {
            if (once) {
                DashboardModel m = OnceReport.sample(source, interval, rules, clock);
                OnceReport.print(out(), m, format);
                return ExitCodes.OK;
            }
            if (System.console() == null) {
                err().println("poolctl top: needs a terminal; use --once for a report on stdout");
                return ExitCodes.USAGE;
            }
            Terminal terminal = new DefaultTerminalFactory(System.out, System.in, StandardCharsets.UTF_8)
                    .setForceTextTerminal(true)
                    .setUnixTerminalCtrlCBehaviour(UnixLikeTerminal.CtrlCBehaviour.TRAP)
                    .createTerminal();
            Dashboard.Options options = new Dashboard.Options(interval, rules,
                    readonly ? null : new AdminConsoleActions(connector), runFor);
            new Dashboard(new TerminalScreen(terminal), source, options, clock).run();
            return ExitCodes.OK;
        }
    }
}

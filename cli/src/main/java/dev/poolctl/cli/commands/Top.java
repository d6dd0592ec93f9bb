package dev.poolctl.cli.commands;

import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.DefaultTerminalFactory;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.ansi.UnixLikeTerminal;
import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.mixin.AdminConnectionOptions;
import dev.poolctl.cli.mixin.FleetOptions;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.tui.Dashboard;
import dev.poolctl.tui.OnceReport;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.source.AdminConsoleActions;
import dev.poolctl.tui.source.AdminSnapshotSource;
import dev.poolctl.tui.source.ConsoleActions;
import dev.poolctl.tui.source.FleetConsoleActions;
import dev.poolctl.tui.source.FleetSnapshotSource;
import dev.poolctl.tui.source.RecordingSource;
import dev.poolctl.tui.source.ReplaySource;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.SnapshotSource;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code poolctl top}: the live dashboard over the admin console, or one report with --once. */
@Command(name = "top")
public final class Top extends AdminCommand {
    @Option(names = "--interval", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class)
    Duration interval;

    @Mixin
    FleetOptions fleet;

    @Option(names = "--for", paramLabel = "DURATION", converter = DurationConverter.class)
    Duration runFor;

    @Option(names = "--record", paramLabel = "FILE")
    Path record;

    @Option(names = "--record-max-mb", paramLabel = "MB", defaultValue = "64")
    int recordMaxMb;

    @Option(names = "--replay", paramLabel = "FILE")
    Path replay;

    @Option(names = "--readonly")
    boolean readonly;

    @Option(names = "--once")
    boolean once;

    @Option(names = {"-f", "--format"}, paramLabel = "FORMAT", defaultValue = "table")
    OnceReport.OutputFormat format;

    @Option(names = "--alert-after", paramLabel = "DURATION", defaultValue = "5s", converter = DurationConverter.class)
    Duration alertAfter;

    @Option(names = "--maxwait-warn", paramLabel = "DURATION", defaultValue = "1s", converter = DurationConverter.class)
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
        if (replay != null && (record != null || fleet.given())) {
            return "--replay plays a recording: no --record and no fleet options with it";
        }
        if (recordMaxMb < 1) {
            return "--record-max-mb must be at least 1";
        }
        return null;
    }

    @Override
    protected FleetOptions fleetOptions() {
        return fleet;
    }

    @Override
    protected int run(AdminClient first) throws IOException, AdminException, InterruptedException {
        AdminConnectionOptions.Resolved r = resolved;
        AdminSnapshotSource.Connector connector = () -> AdminClient.connect(r.target(), r.password(),
                r.connectTimeoutMillis(), r.readTimeoutMillis(defaultTimeoutSeconds()));
        Clock clock = Clock.systemDefaultZone();
        try (AdminSnapshotSource source = new AdminSnapshotSource(connector, r.target().describe(), clock)) {
            return show(source, readonly ? null : new AdminConsoleActions(connector), clock);
        }
    }

    /**
     * A fleet: every instance polled at once, pools and rates summed, a Fleet view with one row per instance (an
     * instance that is down is a row that says why); actions go to all instances or to the one shown alone.
     */
    @Override
    protected int runFleet(List<FleetOptions.Instance> instances)
            throws AdminConnectionOptions.OptionsException, InterruptedException {
        Clock clock = Clock.systemDefaultZone();
        java.util.function.Function<String, String> prompt = FleetRun.sharedPrompt(System.console());
        List<String> names = new ArrayList<>();
        List<SnapshotSource> sources = new ArrayList<>();
        List<ConsoleActions> actions = new ArrayList<>();
        for (FleetOptions.Instance i : instances) {
            AdminConnectionOptions.Resolved r = connection.resolveAt(i, err(), prompt).rememberingPassword();
            AdminSnapshotSource.Connector connector = () -> AdminClient.connect(r.target(), r.password(),
                    r.connectTimeoutMillis(), r.readTimeoutMillis(defaultTimeoutSeconds()));
            names.add(i.toString());
            sources.add(new AdminSnapshotSource(connector, i.toString(), clock));
            actions.add(new AdminConsoleActions(connector));
        }
        try (FleetSnapshotSource source = new FleetSnapshotSource(names, sources)) {
            return show(source, readonly ? null : new FleetConsoleActions(names, actions), clock);
        } catch (IOException e) {
            err().println("poolctl: " + e.getMessage());
            return ExitCodes.ERROR;
        } catch (AdminException e) {
            err().println("poolctl: " + e.getMessage() + " (SQLSTATE " + e.sqlState() + ")");
            return ExitCodes.REFUSED;
        }
    }

    @Override
    protected boolean needsConnection() {
        return replay == null;
    }

    /** --replay: the recording on the dashboard (read-only: it is the past), or with --once its last report. */
    @Override
    protected int runOffline() throws IOException, InterruptedException {
        if (!java.nio.file.Files.isRegularFile(replay)) {
            err().println("poolctl top: no recording " + replay);
            return ExitCodes.USAGE;
        }
        AlertRules rules = new AlertRules(alertAfter, AlertRules.DEFAULT.saturation(), maxwaitWarn);
        if (once) {
            Snapshot[] last = ReplaySource.lastTwo(replay);
            if (last == null) {
                err().println("poolctl top: " + replay + " holds fewer than two snapshots: no rates to report");
                return ExitCodes.ERROR;
            }
            OnceReport.print(out(), OnceReport.recorded("replay of " + replay.getFileName(), last[0], last[1], rules),
                    format);
            return ExitCodes.OK;
        }
        try (ReplaySource source = new ReplaySource(replay)) {
            return dashboard(source, new Dashboard.Options(interval, rules, null, runFor), Clock.systemDefaultZone());
        }
    }

    /** The live dashboard on this process's terminal; without one, exit 2 pointing to --once. */
    private int dashboard(SnapshotSource source, Dashboard.Options options, Clock clock)
            throws IOException, InterruptedException {
        if (System.console() == null) {
            err().println("poolctl top: needs a terminal; use --once for a report on stdout");
            return ExitCodes.USAGE;
        }
        Terminal terminal = new DefaultTerminalFactory(System.out, System.in, StandardCharsets.UTF_8)
                .setForceTextTerminal(true)
                .setUnixTerminalCtrlCBehaviour(UnixLikeTerminal.CtrlCBehaviour.TRAP)
                .createTerminal();
        new Dashboard(new TerminalScreen(terminal), source, options, clock).run();
        return ExitCodes.OK;
    }

    private int show(SnapshotSource live, ConsoleActions actions, Clock clock)
            throws IOException, AdminException, InterruptedException {
        RecordingSource recording = record == null ? null
                : new RecordingSource(live, record, recordMaxMb * 1024L * 1024L);
        SnapshotSource source = recording == null ? live : recording;
        try {
            return showFrom(source, actions, clock);
        } finally {
            if (recording != null) {
                recording.close(); // the file; the live source is closed by its owner too (closing twice is harmless)
                if (recording.problem() != null) {
                    err().println("poolctl top: " + recording.problem());
                }
            }
        }
    }

    private int showFrom(SnapshotSource source, ConsoleActions actions, Clock clock)
            throws IOException, AdminException, InterruptedException {
        AlertRules rules = new AlertRules(alertAfter, AlertRules.DEFAULT.saturation(), maxwaitWarn);
        if (once) {
            DashboardModel m = OnceReport.sample(source, interval, rules, clock);
            OnceReport.print(out(), m, format);
            // As status on a fleet: the report covers the instances that answered; a script still learns one did not.
            boolean down = m.fleet().isFleet() && m.fleet().rows().stream().anyMatch(row -> !row.up());
            return down ? ExitCodes.UNREACHABLE : ExitCodes.OK;
        }
        return dashboard(source, new Dashboard.Options(interval, rules, actions, runFor), clock);
    }
}

package dev.poolctl.tui;

import dev.poolctl.client.AdminException;
import dev.poolctl.client.JsonText;
import dev.poolctl.tui.model.Alert;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.DatabaseRates;
import dev.poolctl.tui.model.PoolRow;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.SnapshotSource;
import dev.poolctl.tui.view.Format;
import java.io.IOException;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code poolctl top --once}: two snapshots one interval apart, so the rates are real, printed once as a table or
 * JSON for scripts and CI. Same model as the screen, so both show the same numbers.
 */
public final class OnceReport {
    /** Lower case, as the cli's --format values are typed. */
    public enum OutputFormat {
        table, json
    }

    private OnceReport() {}

    /**
     * Takes two snapshots {@code interval} apart. Waiting is the point here: rates need two samples. A condition that
     * held in both counts as an alert even when the alert delay is longer than the interval: one report cannot wait.
     */
    public static DashboardModel sample(SnapshotSource source, Duration interval, AlertRules rules, Clock clock)
            throws IOException, AdminException, InterruptedException {
        AlertRules once = new AlertRules(rules.after().compareTo(interval) > 0 ? interval : rules.after(),
                rules.saturation(), rules.maxwaitWarn());
        DashboardModel m = new DashboardModel(source.describe(), interval, once, clock.instant());
        m.apply(source.take(), clock.instant());
        Thread.sleep(interval.toMillis());
        m.apply(source.take(), clock.instant());
        return m;
    }

    /** --once on a recording: the report of its last two snapshots, on their recorded times. */
    public static DashboardModel recorded(String target, Snapshot first, Snapshot second, AlertRules rules) {
        Duration interval = Duration.between(first.takenAt(), second.takenAt());
        if (interval.isNegative() || interval.isZero()) {
            interval = Duration.ofSeconds(1);
        }
        AlertRules once = new AlertRules(rules.after().compareTo(interval) > 0 ? interval : rules.after(),
                rules.saturation(), rules.maxwaitWarn());
        DashboardModel m = new DashboardModel(target, interval, once, first.takenAt());
        m.apply(first, first.takenAt());
        m.apply(second, second.takenAt());
        return m;
    }

    public static void print(PrintWriter out, DashboardModel m, OutputFormat format) {
        if (format == OutputFormat.json) {
            out.println(json(m));
        } else {
            table(out, m);
        }
        out.flush();
    }

    private static final String[] POOL_HEADERS = {"database", "user", "pool_mode", "cl_active", "cl_waiting",
        "sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login", "maxwait", "pool_size", "saturation", "tps", "why"};

    static void table(PrintWriter out, DashboardModel m) {
        out.println("target: " + m.target() + "  version: " + m.version() + "  interval: "
                + Format.interval(m.interval()));
        DatabaseRates t = m.totals();
        long[] sums = sums(m.pools());
        out.println("clients " + sums[0] + " (waiting " + sums[1] + ")  servers " + sums[2] + " (active " + sums[3]
                + ")  tps " + Format.rate(t.tps()) + "  qps " + Format.rate(t.qps()) + "  avg wait "
                + Format.micros(t.avgWaitMicros()) + "  in " + Format.bytesPerSecond(t.receivedPerSecond())
                + "  out " + Format.bytesPerSecond(t.sentPerSecond()));
        out.println();
        List<String[]> rows = new ArrayList<>();
        rows.add(POOL_HEADERS);
        for (PoolRow p : m.pools()) {
            rows.add(new String[] {p.database(), p.user(), p.poolMode(), Long.toString(p.clActive()),
                Long.toString(p.clWaiting()), Long.toString(p.svActive()), Long.toString(p.svIdle()),
                Long.toString(p.svUsed()), Long.toString(p.svTested()), Long.toString(p.svLogin()),
                Format.seconds(p.maxwaitSeconds()), p.poolSize() < 0 ? Format.UNKNOWN : Integer.toString(p.poolSize()),
                Double.isNaN(p.saturation()) ? Format.UNKNOWN : Math.round(p.saturation() * 100) + "%",
                Format.rate(p.tps()), p.waitCause()});
        }
        aligned(out, rows, 3);
        out.println();
        if (m.fleet().isFleet()) {
            List<String[]> instances = new ArrayList<>();
            instances.add(new String[] {"instance", "up", "clients", "waiting", "servers", "tps", "version / error"});
            for (dev.poolctl.tui.model.FleetState.InstanceRow r : m.fleet().rows()) {
                instances.add(new String[] {r.instance(), r.up() ? "up" : "down", r.up() ? Long.toString(r.clients()) : "",
                    r.up() ? Long.toString(r.waiting()) : "", r.up() ? Long.toString(r.servers()) : "",
                    r.up() ? Format.rate(r.tps()) : "", r.up() ? r.version() : r.error()});
            }
            aligned(out, instances, 2);
            out.println();
        }
        List<Alert> alerts = m.alerts().active();
        out.println("alerts: " + (alerts.isEmpty() ? "none" : alerts.size()));
        for (Alert a : alerts) {
            out.println("  " + a.kind().label() + " " + a.subject() + ": " + a.detail());
        }
    }

    private static long[] sums(List<PoolRow> pools) {
        long[] s = new long[4];
        for (PoolRow p : pools) {
            s[0] += p.clActive() + p.clWaiting();
            s[1] += p.clWaiting();
            s[2] += p.servers();
            s[3] += p.svActive();
        }
        return s;
    }

    /** Columns from {@code firstNumber} to the last but one are numbers, right-aligned; the last is text. */
    private static void aligned(PrintWriter out, List<String[]> rows, int firstNumber) {
        int[] w = new int[rows.get(0).length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                w[i] = Math.max(w[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder sb = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                sb.append(i == 0 ? "" : "  ").append(Format.fit(r[i], w[i], i >= firstNumber && i < r.length - 1));
            }
            out.println(sb.toString().stripTrailing());
        }
    }

    static String json(DashboardModel m) {
        DatabaseRates t = m.totals();
        long[] sums = sums(m.pools());
        StringBuilder sb = new StringBuilder("{");
        field(sb, "target", m.target()).append(',');
        field(sb, "version", m.version()).append(',');
        sb.append("\"interval_seconds\":").append(number(m.interval().toMillis() / 1000.0)).append(',');
        sb.append("\"totals\":{\"clients\":").append(sums[0]).append(",\"cl_waiting\":").append(sums[1])
                .append(",\"servers\":").append(sums[2]).append(",\"sv_active\":").append(sums[3]);
        rates(sb, t);
        sb.append("},\"pools\":[");
        for (int i = 0; i < m.pools().size(); i++) {
            PoolRow p = m.pools().get(i);
            sb.append(i == 0 ? "{" : ",{");
            field(sb, "database", p.database()).append(',');
            field(sb, "user", p.user()).append(',');
            field(sb, "pool_mode", p.poolMode());
            sb.append(",\"cl_active\":").append(p.clActive()).append(",\"cl_waiting\":").append(p.clWaiting())
                    .append(",\"sv_active\":").append(p.svActive()).append(",\"sv_idle\":").append(p.svIdle())
                    .append(",\"sv_used\":").append(p.svUsed()).append(",\"sv_tested\":").append(p.svTested())
                    .append(",\"sv_login\":").append(p.svLogin())
                    .append(",\"maxwait_seconds\":").append(number(p.maxwaitSeconds()))
                    .append(",\"pool_size\":").append(p.poolSize() < 0 ? "null" : Integer.toString(p.poolSize()))
                    .append(",\"saturation\":").append(number(p.saturation()))
                    .append(",\"tps\":").append(number(p.tps()))
                    .append(",\"wait_p50_us\":").append(number(p.waitP50Us()))
                    .append(",\"wait_p99_us\":").append(number(p.waitP99Us())).append(',');
            field(sb, "why", p.why() == null ? null : p.why().cause()).append(',');
            field(sb, "why_detail", p.why() == null ? null : p.why().detail()).append('}');
        }
        sb.append("],\"databases\":[");
        int i = 0;
        for (DatabaseRates r : m.rates().values()) {
            sb.append(i++ == 0 ? "{" : ",{");
            field(sb, "database", r.database());
            rates(sb, r);
            sb.append(",\"counters_reset\":").append(r.reset()).append('}');
        }
        sb.append("],\"instances\":[");
        i = 0;
        for (dev.poolctl.tui.model.FleetState.InstanceRow r : m.fleet().isFleet() ? m.fleet().rows()
                : List.<dev.poolctl.tui.model.FleetState.InstanceRow>of()) {
            sb.append(i++ == 0 ? "{" : ",{");
            field(sb, "instance", r.instance()).append(",\"up\":").append(r.up()).append(',');
            field(sb, "version", r.up() ? r.version() : null).append(',');
            field(sb, "error", r.error()).append(",\"clients\":").append(r.clients()).append(",\"cl_waiting\":")
                    .append(r.waiting()).append(",\"servers\":").append(r.servers()).append(",\"tps\":")
                    .append(number(r.tps())).append('}');
        }
        sb.append("],\"alerts\":[");
        i = 0;
        for (Alert a : m.alerts().active()) {
            sb.append(i++ == 0 ? "{" : ",{");
            field(sb, "kind", a.kind().name().toLowerCase(Locale.ROOT)).append(',');
            field(sb, "subject", a.subject()).append(',');
            field(sb, "since", a.since().toString()).append(',');
            field(sb, "detail", a.detail()).append('}');
        }
        return sb.append("]}").toString();
    }

    private static void rates(StringBuilder sb, DatabaseRates r) {
        sb.append(",\"tps\":").append(number(r.tps())).append(",\"qps\":").append(number(r.qps()))
                .append(",\"received_per_second\":").append(number(r.receivedPerSecond()))
                .append(",\"sent_per_second\":").append(number(r.sentPerSecond()))
                .append(",\"avg_xact_us\":").append(number(r.avgXactMicros()))
                .append(",\"avg_query_us\":").append(number(r.avgQueryMicros()))
                .append(",\"avg_wait_us\":").append(number(r.avgWaitMicros()));
    }

    private static String number(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return "null";
        }
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v)
                : String.format(Locale.ROOT, "%.3f", v);
    }

    private static StringBuilder field(StringBuilder sb, String name, String value) {
        sb.append('"').append(name).append("\":");
        if (value == null) {
            return sb.append("null");
        }
        JsonText.append(sb, value);
        return sb;
    }
}

package dev.poolctl.tui.view;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import dev.poolctl.tui.input.Action;
import dev.poolctl.tui.input.KeyBindings;
import dev.poolctl.tui.model.Alert;
import dev.poolctl.tui.model.ConnectionState;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.FleetState;
import dev.poolctl.tui.model.PoolerState;
import dev.poolctl.tui.model.DatabaseRates;
import dev.poolctl.tui.model.Display;
import dev.poolctl.tui.model.PoolRow;
import dev.poolctl.tui.model.Prompt;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.model.ViewState;
import java.time.Duration;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws the whole screen from the model: header (target, totals), view tabs, the current view, the alerts panel and
 * the status line, then any prompt over them. Reads the model only.
 */
public final class ScreenRenderer {
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final KeyBindings keys;
    private final ZoneId zone;

    public ScreenRenderer(KeyBindings keys, ZoneId zone) {
        this.keys = keys;
        this.zone = zone;
    }

    public void draw(TextGraphics g, TerminalSize size, DashboardModel m) {
        int w = size.getColumns();
        int h = size.getRows();
        g.setForegroundColor(TextColor.ANSI.DEFAULT);
        g.setBackgroundColor(TextColor.ANSI.DEFAULT);
        g.fill(' ');
        header(g, w, m);
        totals(g, w, m);
        tabs(g, w, m);
        List<String[]> alertLines = alertLines(m, h >= 40 ? 8 : 3);
        int alertsTop = h - 2 - alertLines.size();
        int tableHeight = Math.max(1, alertsTop - 3);
        switch (m.view()) {
            case POOLS -> PoolsView.draw(g, m, 3, tableHeight, w);
            case STATS -> StatsView.draw(g, m, 3, tableHeight, w);
            case FLEET -> FleetView.draw(g, m, 3, tableHeight, w);
            default -> ConsoleTableView.draw(g, m, m.view(), 3, tableHeight, w);
        }
        alerts(g, w, alertsTop, alertLines);
        status(g, w, h - 1, m);
        if (m.prompt() instanceof Prompt.Help) {
            help(g, size);
        } else if (m.prompt() instanceof Prompt.WaitDetail d) {
            box(g, size, WaitDetailBox.lines(m, d, w));
        } else if (m.prompt() instanceof Prompt.Confirm c) {
            String scope = !m.fleet().isFleet() ? "" : c.instance() != null ? " on " + c.instance()
                    : m.fleet().focus() != null ? " on " + m.fleet().focus()
                    : " on all " + m.fleet().rows().size() + " instances";
            box(g, size, List.of(String.format(Strings.CONFIRM, c.command() + scope)));
        }
    }

    private void header(TextGraphics g, int w, DashboardModel m) {
        List<String> parts = new ArrayList<>();
        parts.add(Strings.TITLE);
        parts.add(m.target());
        if (m.replay() != null) {
            parts.add(m.replay()); // where the replay is, before the rest: it must fit in 80 columns
        }
        if (m.fleet().isFleet()) {
            long up = m.fleet().rows().stream().filter(FleetState.InstanceRow::up).count();
            parts.add(up + " up" + (m.fleet().focus() == null ? ", summed" : ", showing " + m.fleet().focus()));
        }
        if (!m.version().isEmpty()) {
            parts.add(m.version());
        }
        PoolerState state = m.poolerState();
        parts.add(state.startedAt() != null ? "up " + Format.duration(Duration.between(state.startedAt(), m.now()))
                : "watching " + Format.duration(Duration.between(m.watchingSince(), m.now())));
        parts.add("every " + Format.interval(m.interval()));
        g.enableModifiers(SGR.BOLD);
        g.putString(0, 0, Format.fit(join(parts, w), w, false));
        g.disableModifiers(SGR.BOLD);
        if (m.display() == Display.FROZEN && w > Strings.FROZEN.length()) {
            g.enableModifiers(SGR.REVERSE);
            g.putString(w - Strings.FROZEN.length(), 0, Strings.FROZEN);
            g.disableModifiers(SGR.REVERSE);
        }
    }

    private static void totals(TextGraphics g, int w, DashboardModel m) {
        long clients = 0, waiting = 0, servers = 0, active = 0;
        for (PoolRow p : m.pools()) {
            clients += p.clActive() + p.clWaiting();
            waiting += p.clWaiting();
            servers += p.servers();
            active += p.svActive();
        }
        DatabaseRates t = m.totals();
        List<String> parts = List.of("clients " + clients + " (waiting " + waiting + ")",
                "servers " + servers + " (active " + active + ")", "tps " + Format.rate(t.tps()),
                "qps " + Format.rate(t.qps()), "avg wait " + Format.micros(t.avgWaitMicros()),
                "in " + Format.bytesPerSecond(t.receivedPerSecond()), "out " + Format.bytesPerSecond(t.sentPerSecond()));
        if (waiting > 0) {
            g.setForegroundColor(TextColor.ANSI.YELLOW_BRIGHT);
        }
        PoolerState state = m.poolerState();
        if (state.draining()) {
            // A drain in progress replaces the totals: what is left and how long until the deadline.
            parts = List.of("DRAINING: " + (clients - adminClients(m)) + " clients left", "servers active " + active,
                    state.drainDeadline() == null ? "no deadline"
                            : "deadline in " + Format.duration(Duration.between(m.now(), state.drainDeadline())));
            g.setForegroundColor(TextColor.ANSI.YELLOW_BRIGHT);
        }
        g.putString(0, 1, Format.fit(join(parts, w), w, false));
        g.setForegroundColor(TextColor.ANSI.DEFAULT);
    }

    /** Console sessions (the admin database's pool): they stay through a drain, so they are not "left". */
    private static long adminClients(DashboardModel m) {
        return m.pools().stream().filter(PoolRow::isAdmin).mapToLong(p -> p.clActive() + p.clWaiting()).sum();
    }

    /** Space-separated parts, as many whole ones as fit. */
    private static String join(List<String> parts, int w) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            int need = sb.length() == 0 ? p.length() : p.length() + 2;
            if (sb.length() + need > w) {
                break;
            }
            sb.append(sb.length() == 0 ? "" : "  ").append(p);
        }
        return sb.toString();
    }

    /**
     * The view tabs, and on the right the current view's sort and filter. When both do not fit (80 columns), the
     * other views' tabs shrink to their key.
     */
    private static void tabs(TextGraphics g, int w, DashboardModel m) {
        ViewState st = m.state(m.view());
        StringBuilder info = new StringBuilder();
        if (st.sortKey() != null) {
            info.append("sort ").append(st.sortKey()).append(st.reversed() ? " (reversed)" : "");
        }
        if (!st.filter().isEmpty()) {
            info.append(info.length() == 0 ? "" : "  ").append("filter '").append(st.filter()).append('\'');
        }
        boolean full = tabLabels(m, true).length() + (info.length() == 0 ? 0 : info.length() + 2) <= w;
        int x = 0;
        for (View v : tabs(m)) {
            String label = tabLabel(v, full || v == m.view());
            if (x + label.length() > w) {
                break;
            }
            if (v == m.view()) {
                g.enableModifiers(SGR.REVERSE);
            }
            g.putString(x, 2, label);
            g.disableModifiers(SGR.REVERSE);
            x += label.length() + 2;
        }
        if (info.length() > 0 && x + info.length() <= w) {
            g.putString(w - info.length(), 2, info.toString());
        }
    }

    /** The views with a tab: the Fleet view only when there is a fleet (or it is shown). */
    private static List<View> tabs(DashboardModel m) {
        return java.util.Arrays.stream(View.values())
                .filter(v -> v != View.FLEET || m.fleet().isFleet() || m.view() == View.FLEET).toList();
    }

    private static String tabLabel(View v, boolean withTitle) {
        return (v.ordinal() + 1) + (withTitle ? " " + v.title() : "");
    }

    private static String tabLabels(DashboardModel m, boolean withTitles) {
        StringBuilder sb = new StringBuilder();
        for (View v : tabs(m)) {
            sb.append(sb.length() == 0 ? "" : "  ").append(tabLabel(v, withTitles || v == m.view()));
        }
        return sb.toString();
    }

    /** {@code [marker, text]} lines: active alerts first, then ended ones while room is left. */
    private List<String[]> alertLines(DashboardModel m, int max) {
        List<String[]> out = new ArrayList<>();
        for (Alert a : m.alerts().active()) {
            out.add(new String[] {"!", CLOCK.format(a.since().atZone(zone)) + " " + a.kind().label() + " "
                    + subject(a) + "for " + Format.duration(Duration.between(a.since(), m.now())) + ": "
                    + a.detail()});
        }
        for (Alert a : m.alerts().recent()) {
            out.add(new String[] {" ", CLOCK.format(a.since().atZone(zone)) + "-" + CLOCK.format(a.ended()
                    .atZone(zone)) + " " + a.kind().label() + " " + subject(a) + "ended"});
        }
        if (out.size() > max) {
            out = new ArrayList<>(out.subList(0, max));
        }
        return out;
    }

    private static String subject(Alert a) {
        return a.subject().isEmpty() ? "" : a.subject() + " ";
    }

    private static void alerts(TextGraphics g, int w, int top, List<String[]> lines) {
        g.enableModifiers(SGR.BOLD);
        g.putString(0, top, Strings.ALERTS);
        g.disableModifiers(SGR.BOLD);
        if (lines.isEmpty()) {
            g.putString(Strings.ALERTS.length() + 1, top, Strings.NO_ALERTS);
            return;
        }
        for (int i = 0; i < lines.size(); i++) {
            boolean active = "!".equals(lines.get(i)[0]);
            g.setForegroundColor(active ? TextColor.ANSI.RED_BRIGHT : TextColor.ANSI.DEFAULT);
            g.putString(0, top + 1 + i, Format.fit(lines.get(i)[0] + " " + lines.get(i)[1], w, false));
        }
        g.setForegroundColor(TextColor.ANSI.DEFAULT);
    }

    private void status(TextGraphics g, int w, int row, DashboardModel m) {
        String text;
        TextColor colour = TextColor.ANSI.DEFAULT;
        if (m.prompt() instanceof Prompt.Filter f) {
            text = Strings.FILTER_PROMPT + f.text() + "_";
        } else if (m.connection() instanceof ConnectionState.Reconnecting r) {
            text = String.format(Strings.RECONNECTING, r.attempt(),
                    Format.duration(Duration.between(m.now(), r.retryAt()).plusMillis(999)), r.error());
            colour = TextColor.ANSI.RED_BRIGHT;
        } else if (m.connection() instanceof ConnectionState.Connecting) {
            text = String.format(Strings.CONNECTING, m.target());
        } else if (!m.message().isEmpty()) {
            text = m.message();
        } else {
            text = hints(w);
        }
        g.setForegroundColor(colour);
        g.enableModifiers(SGR.REVERSE);
        g.putString(0, row, Format.fit(text, w, false));
        g.disableModifiers(SGR.REVERSE);
        g.setForegroundColor(TextColor.ANSI.DEFAULT);
    }

    /** The key hints of the status line, from the key bindings, as many whole ones as fit: {@code q quit  ...}. */
    private String hints(int w) {
        List<String> parts = new ArrayList<>();
        if (!keys.bound(Action.PAUSE)) {
            parts.add(Strings.READONLY);
        }
        for (Action a : Action.values()) {
            if (!a.hint().isEmpty() && keys.bound(a)) {
                parts.add(keys.keyOf(a) + " " + a.hint());
            }
        }
        return join(parts, w);
    }

    /** The key list, in two columns when one does not fit the height (80x24 over SSH). */
    private void help(TextGraphics g, TerminalSize size) {
        List<String> entries = new ArrayList<>();
        for (String[] k : keys.help()) {
            entries.add(Format.fit(k[0], 10, false) + " " + k[1]);
        }
        List<String> lines = new ArrayList<>();
        lines.add(Strings.HELP_TITLE);
        if (entries.size() + 3 <= size.getRows()) {
            lines.addAll(entries);
        } else {
            int half = (entries.size() + 1) / 2;
            int colWidth = Math.max(1, (size.getColumns() - 7) / 2);
            for (int i = 0; i < half; i++) {
                String right = i + half < entries.size() ? entries.get(i + half) : "";
                lines.add(Format.fit(entries.get(i), colWidth, false) + " " + Format.fit(right, colWidth, false));
            }
        }
        box(g, size, lines);
    }

    /** A framed box in the middle of the screen, cut to fit. */
    private static void box(TextGraphics g, TerminalSize size, List<String> lines) {
        int inner = 0;
        for (String l : lines) {
            inner = Math.max(inner, l.length());
        }
        inner = Math.min(inner, size.getColumns() - 4);
        int rows = Math.min(lines.size(), size.getRows() - 2);
        int left = (size.getColumns() - inner - 4) / 2;
        int top = Math.max(0, (size.getRows() - rows - 2) / 2);
        g.enableModifiers(SGR.BOLD);
        g.putString(left, top, "+" + "-".repeat(inner + 2) + "+");
        for (int i = 0; i < rows; i++) {
            g.putString(left, top + 1 + i, "| " + Format.fit(lines.get(i), inner, false) + " |");
        }
        g.putString(left, top + 1 + rows, "+" + "-".repeat(inner + 2) + "+");
        g.disableModifiers(SGR.BOLD);
    }
}

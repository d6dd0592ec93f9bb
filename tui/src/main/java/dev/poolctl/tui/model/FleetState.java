package dev.poolctl.tui.model;

import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fleet behind the dashboard: one row per instance (up or down with why, version, clients, waiting, servers,
 * tps) for the Fleet view, and which instance the other views show alone (Enter in the Fleet view), or all of them
 * summed. For one pooler it is a fleet of one.
 */
public final class FleetState {
    /** One instance's row. {@code tps} is NaN until two snapshots of it are known. */
    public record InstanceRow(String instance, boolean up, String version, String error, long clients, long waiting,
                              long servers, double tps, boolean draining) {
        /** up, down, or drain (poolctl's DRAIN runs: its clients are leaving). */
        public String state() {
            return !up ? "down" : draining ? "drain" : "up";
        }

        public Object value(String key) {
            return switch (key) {
                case "instance" -> instance;
                case "state" -> state();
                case "version" -> version;
                case "clients" -> clients;
                case "waiting" -> waiting;
                case "servers" -> servers;
                case "tps" -> Double.isNaN(tps) ? -1.0 : tps;
                default -> null;
            };
        }
    }

    static final List<String> KEYS = List.of("instance", "state", "version", "clients", "waiting", "servers", "tps");

    private List<InstanceRow> rows = List.of();
    private Snapshot last;
    private String focus;
    private boolean focusChanged;

    /** The rows of {@code s}, and what the other views show: the focused instance's snapshot, else {@code s}. */
    Snapshot apply(Snapshot s, String target) {
        List<InstanceRow> out = new ArrayList<>();
        if (!s.isFleet()) {
            out.add(row(target, s, last));
        } else {
            for (Snapshot.Instance i : s.fleet()) {
                out.add(i.up() ? row(i.name(), i.snapshot(), last == null ? null : last.instance(i.name()))
                        : new InstanceRow(i.name(), false, "", i.error(), 0, 0, 0, Double.NaN, false));
            }
        }
        rows = List.copyOf(out);
        last = s;
        if (focus == null || !s.isFleet()) {
            return s;
        }
        Snapshot one = s.instance(focus);
        return one != null ? one : new Snapshot(s.monotonicNanos(), s.takenAt(), "", Map.of());
    }

    private static InstanceRow row(String name, Snapshot s, Snapshot previous) {
        long clients = 0;
        long waiting = 0;
        long servers = 0;
        for (Row r : s.table(Show.POOLS).rowList()) {
            clients += r.number("cl_active") + r.number("cl_waiting");
            waiting += r.number("cl_waiting");
            servers += r.number("sv_active") + r.number("sv_idle") + r.number("sv_used") + r.number("sv_tested")
                    + r.number("sv_login");
        }
        double tps = Double.NaN;
        if (previous != null && !previous.isFleet()) {
            double seconds = (s.monotonicNanos() - previous.monotonicNanos()) / 1e9;
            tps = RateCalculator.total(RateCalculator.between(previous.table(Show.STATS), s.table(Show.STATS),
                    seconds)).tps();
        }
        return new InstanceRow(name, true, s.version(), null, clients, waiting, servers, tps,
                PoolerState.of(s).draining());
    }

    public List<InstanceRow> rows() {
        return rows;
    }

    /** The instance the other views show alone, or null: all of them. */
    public String focus() {
        return focus;
    }

    /** Shows {@code instance} alone; the same again (or null) shows all. */
    void focus(String instance) {
        String next = instance == null || instance.equals(focus) ? null : instance;
        focusChanged |= !java.util.Objects.equals(next, focus);
        focus = next;
    }

    /** Whether the focus changed since the last call: rates then start again (two different sources). */
    boolean takeFocusChanged() {
        boolean changed = focusChanged;
        focusChanged = false;
        return changed;
    }

    /** Whether there are several instances (a fleet given on the command line). */
    public boolean isFleet() {
        return last != null && last.isFleet();
    }
}

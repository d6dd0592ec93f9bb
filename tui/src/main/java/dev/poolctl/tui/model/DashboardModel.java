package dev.poolctl.tui.model;

import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.Table;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * What the dashboard knows: the current snapshot, the rates since the one before, per-pool history, alerts,
 * and per-view sort, filter and selection. Views only read it; it is changed on the dashboard's loop thread only.
 */
public final class DashboardModel {
    /** Refresh intervals {@code +} and {@code -} step through. */
    public static final List<Duration> INTERVALS = List.of(Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30), Duration.ofSeconds(60));

    static final List<String> POOL_KEYS = List.of("database", "user", "pool_mode", "cl_active", "cl_waiting",
            "sv_active", "sv_idle", "sv_used", "sv_tested", "sv_login", "maxwait", "pool_size", "saturation", "tps");
    static final List<String> STATS_KEYS = List.of("database", "tps", "qps", "recv/s", "sent/s", "xact_us",
            "query_us", "wait_us", "xacts", "queries");

    private final String target;
    private final Instant watchingSince;
    private final History history = new History();
    private final Alerts alerts;
    private final Map<View, ViewState> states = new EnumMap<>(View.class);
    private final FleetState fleet = new FleetState();
    private final HazardWatch hazards = new HazardWatch();
    private Snapshot current;
    private Snapshot heldWhileFrozen;
    private Map<String, DatabaseRates> rates = Map.of();
    private DatabaseRates totals = DatabaseRates.unknown("", false, 0, 0);
    private List<PoolRow> pools = List.of();
    private PoolerState poolerState = PoolerState.UNKNOWN;
    /** The snapshot last given to {@link #apply}, before the fleet's focus picked what to show. */
    private Snapshot lastGiven;
    /** top --replay: where the replay is ("snapshot 12 of 120, paused"), or null live. */
    private String replay;
    /** Whether the pools' wait causes were inferred (a PgBouncer) rather than told (poolctl's SHOW WAITS). */
    private boolean waitsInferred;
    private ConnectionState connection;
    private View view = View.POOLS;
    private Prompt prompt = Prompt.NONE;
    private Display display = Display.LIVE;
    private Duration interval;
    private String message = "";
    private Instant now;

    public DashboardModel(String target, Duration interval, AlertRules rules, Instant now) {
        this.target = target;
        this.interval = interval;
        this.alerts = new Alerts(rules);
        this.watchingSince = now;
        this.now = now;
        this.connection = new ConnectionState.Connecting(now);
        for (View v : View.values()) {
            states.put(v, ViewState.INITIAL);
        }
    }

    // ---- inputs ----------------------------------------------------------------------------------------------

    /** A new snapshot arrived at {@code at}. While frozen it is held and applied on unfreeze. */
    public void apply(Snapshot s, Instant at) {
        now = at;
        if (!(connection instanceof ConnectionState.Connected)) {
            connection = new ConnectionState.Connected(at);
        }
        if (display == Display.FROZEN) {
            heldWhileFrozen = s;
            return;
        }
        if (s == lastGiven) {
            return; // a paused replay gives the same snapshot again: nothing moved, rates stay
        }
        lastGiven = s;
        Snapshot previous = current;
        s = fleet.apply(s, target); // a fleet: all instances summed, or the one in focus
        if (fleet.takeFocusChanged()) {
            previous = null; // another source: no rate between the two
        }
        current = s;
        poolerState = PoolerState.of(s);
        double seconds = previous == null ? 0 : (s.monotonicNanos() - previous.monotonicNanos()) / 1e9;
        rates = RateCalculator.between(previous == null ? null : previous.table(Show.STATS), s.table(Show.STATS),
                seconds);
        totals = RateCalculator.total(rates);
        Map<String, Row> databases = new HashMap<>();
        for (Row r : s.table(Show.DATABASES).rowList()) {
            databases.put(r.text("name", ""), r);
        }
        Map<String, Row> waits = new HashMap<>(); // poolctl's wait histograms by database/user; none from PgBouncer
        for (Row r : s.table(Show.HISTOGRAMS).rowList()) {
            if ("wait".equals(r.text("histogram", ""))) {
                waits.put(r.text("database", "") + "/" + r.text("user", ""), r);
            }
        }
        Map<String, dev.poolctl.client.WhyWaiting.Row> whys = PoolWaits.of(s);
        waitsInferred = PoolWaits.inferred(s);
        List<PoolRow> rows = new ArrayList<>();
        for (Row r : s.table(Show.POOLS).rowList()) {
            String db = r.text("database", "");
            String key = db + "/" + r.text("user", "");
            PoolRow p = PoolRow.of(r, databases.get(db), rates.get(db), waits.get(key), whys.get(key));
            rows.add(p);
            history.record(p);
        }
        pools = List.copyOf(rows);
        alerts.evaluate(at, pools, hazards.update(s, at));
        clampSelection();
    }

    public void pollFailed(String error, int attempt, Duration retryIn, Instant at) {
        now = at;
        Instant since = connection instanceof ConnectionState.Reconnecting r ? r.since() : at;
        connection = new ConnectionState.Reconnecting(since, attempt, error, at.plus(retryIn));
        alerts.unreachable(at, error);
    }

    /** The clock moved with no news; durations on screen follow it. */
    public void tick(Instant at) {
        now = at;
    }

    public void message(String text) {
        message = text;
    }

    public void prompt(Prompt p) {
        prompt = p;
    }

    public void view(View v) {
        view = v;
        clampSelection();
    }

    /** Space: freeze the screen, or unfreeze and show the newest snapshot taken meanwhile. */
    public void toggleFreeze() {
        if (display == Display.LIVE) {
            display = Display.FROZEN;
            return;
        }
        display = Display.LIVE;
        if (heldWhileFrozen != null) {
            Snapshot s = heldWhileFrozen;
            heldWhileFrozen = null;
            apply(s, now);
        }
    }

    /** {@code +} (longer, {@code steps} 1) or {@code -} (shorter, -1); returns the new interval. */
    public Duration stepInterval(int steps) {
        int i = 0;
        while (i < INTERVALS.size() - 1 && INTERVALS.get(i).compareTo(interval) < 0) {
            i++;
        }
        interval = INTERVALS.get(Math.max(0, Math.min(INTERVALS.size() - 1, i + steps)));
        return interval;
    }

    public void moveSelection(int delta) {
        ViewState st = states.get(view);
        states.put(view, st.select(st.selected() + delta));
        clampSelection();
    }

    /** {@code s}: the next sortable column of this view, after the last one back to the console's order. */
    public void cycleSort() {
        List<String> keys = sortKeys(view);
        ViewState st = states.get(view);
        int i = st.sortKey() == null ? -1 : keys.indexOf(st.sortKey());
        String next = i + 1 >= keys.size() ? null : keys.get(i + 1);
        states.put(view, st.sort(next, false));
    }

    public void reverseSort() {
        ViewState st = states.get(view);
        states.put(view, st.sort(st.sortKey(), !st.reversed()));
    }

    public void filter(String text) {
        states.put(view, states.get(view).filter(text));
    }

    private void clampSelection() {
        ViewState st = states.get(view);
        int max = Math.max(0, rowCount(view) - 1);
        int sel = Math.max(0, Math.min(max, st.selected()));
        if (sel != st.selected()) {
            states.put(view, st.select(sel));
        }
    }

    // ---- outputs ---------------------------------------------------------------------------------------------

    /** Column keys {@code s} cycles through in {@code v}. */
    public List<String> sortKeys(View v) {
        return switch (v) {
            case POOLS -> POOL_KEYS;
            case STATS -> STATS_KEYS;
            case FLEET -> FleetState.KEYS;
            default -> v.preferredColumns().stream().filter(table(v)::has).toList();
        };
    }

    public List<PoolRow> visiblePools() {
        return visible(pools, states.get(View.POOLS),
                p -> p.database() + " " + p.user() + " " + p.poolMode(), PoolRow::value);
    }

    public List<DatabaseRates> visibleStats() {
        return visible(new ArrayList<>(rates.values()), states.get(View.STATS), DatabaseRates::database,
                DatabaseRates::value);
    }

    /** The rows of a console-backed view, filtered on every column and sorted. */
    public List<Row> visibleRows(View v) {
        return visible(table(v).rowList(), states.get(v), r -> String.join(" ", nonNull(r.values())),
                (r, key) -> numberOrText(r.text(key)));
    }

    public Table table(View v) {
        return current == null ? Table.EMPTY : current.table(v.source());
    }

    private int rowCount(View v) {
        return switch (v) {
            case POOLS -> visiblePools().size();
            case STATS -> visibleStats().size();
            case FLEET -> visibleFleet().size();
            default -> visibleRows(v).size();
        };
    }

    private static <T> List<T> visible(List<T> rows, ViewState st, Function<T, String> text,
            java.util.function.BiFunction<T, String, Object> value) {
        List<T> out = new ArrayList<>();
        String needle = st.filter().toLowerCase(Locale.ROOT);
        // column=value keeps the rows whose column is that value (state=waiting among thousands of clients)
        java.util.regex.Matcher exact = COLUMN_FILTER.matcher(needle);
        for (T r : rows) {
            if (exact.matches() ? same(value.apply(r, exact.group(1)), exact.group(2))
                    : needle.isEmpty() || text.apply(r).toLowerCase(Locale.ROOT).contains(needle)) {
                out.add(r);
            }
        }
        if (st.sortKey() != null) {
            Comparator<T> c = (a, b) -> compareValues(value.apply(a, st.sortKey()), value.apply(b, st.sortKey()));
            out.sort(st.reversed() ? c.reversed() : c);
        }
        return out;
    }

    private static final java.util.regex.Pattern COLUMN_FILTER = java.util.regex.Pattern.compile("([a-z_0-9]+)=(.*)");

    /** A cell equal to the filter's value: numbers as numbers (5 = 5.0), text ignoring case. */
    private static boolean same(Object cell, String wanted) {
        if (cell == null) {
            return false;
        }
        if (cell instanceof Number n) {
            try {
                return n.doubleValue() == Double.parseDouble(wanted);
            } catch (NumberFormatException e) {
                return false;
            }
        }
        return cell.toString().equalsIgnoreCase(wanted);
    }

    /** Numbers biggest first (what top does), text A to Z; nulls last. */
    static int compareValues(Object a, Object b) {
        if (a == null || b == null) {
            return a == null ? (b == null ? 0 : 1) : -1;
        }
        if (a instanceof Number x && b instanceof Number y) {
            return Double.compare(y.doubleValue(), x.doubleValue());
        }
        return a.toString().compareToIgnoreCase(b.toString());
    }

    private static Object numberOrText(String v) {
        if (v == null) {
            return null;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    private static List<String> nonNull(List<String> values) {
        return values.stream().map(v -> v == null ? "" : v).toList();
    }

    /** The database of the selected row, or null when the view has no row or no database column. */
    public String selectedDatabase() {
        int sel = states.get(view).selected();
        List<String> databases = switch (view) {
            case POOLS -> visiblePools().stream().map(PoolRow::database).toList();
            case STATS -> visibleStats().stream().map(DatabaseRates::database).toList();
            case CONFIG, FLEET -> List.of();
            default -> visibleRows(view).stream().map(r -> r.text(view.databaseColumn())).toList();
        };
        return sel < databases.size() ? databases.get(sel) : null;
    }

    /** The selected row of a console-backed view (Clients, Servers, ...), or null. */
    public Row selectedRow() {
        if (!view.consoleBacked()) {
            return null;
        }
        int sel = states.get(view).selected();
        List<Row> rows = visibleRows(view);
        return sel < rows.size() ? rows.get(sel) : null;
    }

    /** The selected pool in the Pools view, or null (another view, or no row). */
    public PoolRow selectedPool() {
        if (view != View.POOLS) {
            return null;
        }
        int sel = states.get(view).selected();
        List<PoolRow> visible = visiblePools();
        return sel < visible.size() ? visible.get(sel) : null;
    }

    public String target() {
        return target;
    }

    public Snapshot current() {
        return current;
    }

    public String version() {
        return current == null ? "" : current.version();
    }

    public FleetState fleet() {
        return fleet;
    }

    public List<FleetState.InstanceRow> visibleFleet() {
        return visible(fleet.rows(), states.get(View.FLEET), r -> r.instance() + " " + r.version(),
                FleetState.InstanceRow::value);
    }

    /** Enter in the Fleet view: the selected instance alone in the other views, or all again. */
    public void focusSelectedInstance() {
        int sel = states.get(View.FLEET).selected();
        List<FleetState.InstanceRow> rows = visibleFleet();
        if (sel < rows.size() && fleet.isFleet()) {
            fleet.focus(rows.get(sel).instance());
        }
    }

    /** poolctl's SHOW STATE rows (start time, drain), or unknown for a PgBouncer and for a fleet's sums. */
    public PoolerState poolerState() {
        return poolerState;
    }

    public void replay(String position) {
        replay = position;
    }

    public String replay() {
        return replay;
    }

    public boolean waitsInferred() {
        return waitsInferred;
    }

    public List<PoolRow> pools() {
        return pools;
    }

    public Map<String, DatabaseRates> rates() {
        return rates;
    }

    public DatabaseRates totals() {
        return totals;
    }

    public History history() {
        return history;
    }

    public Alerts alerts() {
        return alerts;
    }

    public ConnectionState connection() {
        return connection;
    }

    public View view() {
        return view;
    }

    public ViewState state(View v) {
        return states.get(v);
    }

    public Prompt prompt() {
        return prompt;
    }

    public Display display() {
        return display;
    }

    public Duration interval() {
        return interval;
    }

    public String message() {
        return message;
    }

    public Instant now() {
        return now;
    }

    public Instant watchingSince() {
        return watchingSince;
    }
}

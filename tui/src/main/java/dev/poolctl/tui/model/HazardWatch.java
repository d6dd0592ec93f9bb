package dev.poolctl.tui.model;

import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * poolctl's SHOW HAZARDS as alerts: a pool whose counters (what transaction pooling cannot carry to the next
 * server: session SET, LISTEN, advisory locks, ...) rose holds a hazard alert for a minute after the last rise, with
 * what rose and by how much. Counters that go down (a restart) start again without an alert.
 */
final class HazardWatch {
    /** How long a rise keeps its alert: a hazard is an event, shown long enough to be read. */
    static final Duration HOLD = Duration.ofMinutes(1);

    private record Rise(String detail, Instant at) {}

    private final Map<String, Long> last = new HashMap<>();
    private final Map<String, Rise> recent = new LinkedHashMap<>();

    /** The pools (database/user) with a rise within {@link #HOLD} of {@code now}, and what rose. */
    Map<String, String> update(Snapshot s, Instant now) {
        for (Row r : s.table(Show.HAZARDS).rowList()) {
            String pool = (r.has("instance") ? r.text("instance") + " " : "") + r.text("database", "") + "/"
                    + r.text("user", "");
            StringBuilder rose = new StringBuilder();
            for (String column : r.table().columns()) {
                if (column.equals("database") || column.equals("user") || column.equals("instance")) {
                    continue;
                }
                long value = r.number(column, -1);
                if (value < 0) {
                    continue;
                }
                Long before = last.put(pool + " " + column, value);
                if (before != null && value > before) {
                    rose.append(rose.length() == 0 ? "" : ", ").append(column).append(" +").append(value - before);
                }
            }
            if (rose.length() > 0) {
                recent.put(pool, new Rise(rose.toString(), now));
            }
        }
        Map<String, String> holding = new LinkedHashMap<>();
        recent.entrySet().removeIf(e -> Duration.between(e.getValue().at(), now).compareTo(HOLD) > 0);
        recent.forEach((pool, rise) -> holding.put(pool, rise.detail()));
        return holding;
    }
}

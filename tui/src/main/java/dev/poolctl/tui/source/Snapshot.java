package dev.poolctl.tui.source;

import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;

/**
 * The console's lists at one moment. {@code monotonicNanos} times the interval between two snapshots (rates);
 * {@code takenAt} is the wall clock shown to the operator. A list the target refused is absent from {@code tables}.
 */
public record Snapshot(long monotonicNanos, Instant takenAt, String version, Map<Show, Table> tables) {
    public Snapshot {
        tables = tables.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(tables));
    }

    /** The list, or an empty table when the target did not answer it. */
    public Table table(Show show) {
        return tables.getOrDefault(show, Table.EMPTY);
    }
}

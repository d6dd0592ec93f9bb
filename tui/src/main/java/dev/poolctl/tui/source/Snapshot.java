package dev.poolctl.tui.source;

import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The console's lists at one moment. {@code monotonicNanos} times the interval between two snapshots (rates);
 * {@code takenAt} is the wall clock shown to the operator. A list the target refused is absent from {@code tables}.
 * A fleet's snapshot has its instances too (each with its own snapshot while up); its tables are the merged ones
 * ({@link FleetTables}).
 */
public record Snapshot(long monotonicNanos, Instant takenAt, String version, Map<Show, Table> tables,
                       List<Instance> fleet) {
    /** One instance of a fleet: up with its snapshot, or down with why. */
    public record Instance(String name, Snapshot snapshot, String error) {
        public boolean up() {
            return snapshot != null;
        }
    }

    public Snapshot {
        tables = tables.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(tables));
        fleet = List.copyOf(fleet);
    }

    /** One pooler's snapshot. */
    public Snapshot(long monotonicNanos, Instant takenAt, String version, Map<Show, Table> tables) {
        this(monotonicNanos, takenAt, version, tables, List.of());
    }

    /** The list, or an empty table when the target did not answer it. */
    public Table table(Show show) {
        return tables.getOrDefault(show, Table.EMPTY);
    }

    public boolean isFleet() {
        return !fleet.isEmpty();
    }

    /** The snapshot of the fleet's instance {@code name}, or null when it is down or unknown. */
    public Snapshot instance(String name) {
        for (Instance i : fleet) {
            if (i.name().equals(name)) {
                return i.snapshot();
            }
        }
        return null;
    }
}

package dev.poolctl.tui.source;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * One snapshot of a fleet from each instance's: pools summed by database and user, stats and databases by
 * database (so rates, pool sizes and limits are the fleet's), the row lists (clients, servers, hazards) one after
 * the other with an {@code instance} column first, and the config of the first instance. Columns are joined by name,
 * so PgBouncer's and poolctl's lists merge.
 */
public final class FleetTables {
    /** Columns that are the largest of the instances', not their sum. */
    private static final Set<String> MAXIMUM = Set.of("maxwait", "maxwait_us", "paused", "disabled");

    private FleetTables() {}

    /** {@code parts}: each up instance's name and snapshot, in fleet order. */
    public static Map<Show, Table> merge(List<Map.Entry<String, Snapshot>> parts) {
        Map<Show, Table> out = new java.util.EnumMap<>(Show.class);
        put(out, Show.POOLS, sum(parts, Show.POOLS, List.of("database", "user")));
        put(out, Show.STATS, sum(parts, Show.STATS, List.of("database")));
        put(out, Show.DATABASES, sum(parts, Show.DATABASES, List.of("name")));
        put(out, Show.USERS, sum(parts, Show.USERS, List.of("name")));
        for (Show s : List.of(Show.CLIENTS, Show.SERVERS, Show.HAZARDS)) {
            put(out, s, concat(parts, s));
        }
        for (Map.Entry<String, Snapshot> p : parts) {
            if (p.getValue().tables().containsKey(Show.CONFIG)) {
                out.put(Show.CONFIG, p.getValue().table(Show.CONFIG));
                break;
            }
        }
        return out;
    }

    private static void put(Map<Show, Table> out, Show s, Table t) {
        if (t != null) {
            out.put(s, t);
        }
    }

    /** Rows with the same key become one: numbers added (or the largest, {@link #MAXIMUM}), text from the first. */
    static Table sum(List<Map.Entry<String, Snapshot>> parts, Show show, List<String> key) {
        List<String> columns = columns(parts, show, false);
        if (columns == null) {
            return null;
        }
        Map<List<String>, String[]> rows = new LinkedHashMap<>();
        for (Map.Entry<String, Snapshot> p : parts) {
            Table t = p.getValue().table(show);
            for (Row r : t.rowList()) {
                List<String> k = key.stream().map(c -> r.text(c, "")).toList();
                String[] merged = rows.computeIfAbsent(k, x -> new String[columns.size()]);
                for (int i = 0; i < columns.size(); i++) {
                    merged[i] = combine(columns.get(i), merged[i], r.text(columns.get(i)), key.contains(columns.get(i)));
                }
            }
        }
        List<List<String>> out = new ArrayList<>();
        for (String[] r : rows.values()) {
            out.add(java.util.Arrays.asList(r));
        }
        return new Table(columns, out);
    }

    private static String combine(String column, String sofar, String value, boolean key) {
        if (sofar == null || key) {
            return sofar == null ? value : sofar;
        }
        if (value == null) {
            return sofar;
        }
        try {
            long a = Long.parseLong(sofar.trim());
            long b = Long.parseLong(value.trim());
            return Long.toString(MAXIMUM.contains(column) ? Math.max(a, b) : a + b);
        } catch (NumberFormatException e) {
            return sofar; // text (pool_mode, host): the first instance's
        }
    }

    /** The rows of every instance, an {@code instance} column first. */
    static Table concat(List<Map.Entry<String, Snapshot>> parts, Show show) {
        List<String> columns = columns(parts, show, true);
        if (columns == null) {
            return null;
        }
        List<List<String>> rows = new ArrayList<>();
        for (Map.Entry<String, Snapshot> p : parts) {
            for (Row r : p.getValue().table(show).rowList()) {
                List<String> row = new ArrayList<>(columns.size());
                row.add(p.getKey());
                for (int i = 1; i < columns.size(); i++) {
                    row.add(r.text(columns.get(i)));
                }
                rows.add(row);
            }
        }
        return new Table(columns, rows);
    }

    /** The union of the instances' columns in first-seen order; null when no instance answered the list. */
    private static List<String> columns(List<Map.Entry<String, Snapshot>> parts, Show show, boolean instance) {
        List<String> columns = new ArrayList<>();
        if (instance) {
            columns.add("instance");
        }
        boolean any = false;
        for (Map.Entry<String, Snapshot> p : parts) {
            if (!p.getValue().tables().containsKey(show)) {
                continue;
            }
            any = true;
            for (String c : p.getValue().table(show).columns()) {
                if (!columns.contains(c)) {
                    columns.add(c);
                }
            }
        }
        return any ? columns : null;
    }
}

package dev.poolctl.tui.source;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One SHOW command's answer. Columns are looked up by name, never by position, so PgBouncer versions with more or
 * fewer columns (1.18's SHOW STATS has 15, 1.25's 25) read the same; a column the target lacks reads as absent.
 */
public record Table(List<String> columns, List<List<String>> rows) {
    public static final Table EMPTY = new Table(List.of(), List.of());

    public Table {
        columns = List.copyOf(columns);
        List<List<String>> copy = new ArrayList<>(rows.size());
        for (List<String> r : rows) {
            copy.add(java.util.Collections.unmodifiableList(new ArrayList<>(r)));
        }
        rows = List.copyOf(copy);
    }

    /** Position of {@code column}, or -1 when the target does not have it. */
    public int indexOf(String column) {
        return columns.indexOf(column.toLowerCase(Locale.ROOT));
    }

    public boolean has(String column) {
        return indexOf(column) >= 0;
    }

    public int size() {
        return rows.size();
    }

    public Row row(int i) {
        return new Row(this, rows.get(i));
    }

    public List<Row> rowList() {
        List<Row> out = new ArrayList<>(rows.size());
        for (List<String> r : rows) {
            out.add(new Row(this, r));
        }
        return out;
    }
}

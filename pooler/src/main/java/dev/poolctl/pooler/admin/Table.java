package dev.poolctl.pooler.admin;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A SHOW answer as rows, before it is written: each event loop builds its part on its own loop, and the console
 * merges the parts ({@link Merge}) and writes one result set.
 */
final class Table {
    /**
     * How the loops' parts become one answer: rows with equal values in the first {@code keyColumns} columns are one
     * row, with the {@code summed} columns added up (a count each loop has part of) and the others taken from the
     * first loop that has a value; 0 key columns: the rows are concatenated (each row belongs to one loop).
     */
    record Merge(int keyColumns, int... summed) {
        static final Merge CONCAT = new Merge(0);
        /** Rows merged by their first column, every other column summed (null: all of them). */
        static final Merge SUM_BY_KEY = new Merge(1, (int[]) null);
    }

    private final List<ResultSetWriter.Column> columns;
    private final List<Object[]> rows = new ArrayList<>();

    Table(List<ResultSetWriter.Column> columns) {
        this.columns = columns;
    }

    Table row(Object... values) {
        if (values.length != columns.size()) {
            throw new IllegalArgumentException("row has " + values.length + " values for " + columns.size() + " columns");
        }
        rows.add(values);
        return this;
    }

    List<ResultSetWriter.Column> columns() {
        return columns;
    }

    List<Object[]> rows() {
        return rows;
    }

    /** RowDescription, the DataRows, CommandComplete SHOW and ReadyForQuery. */
    void writeTo(ByteBuf out) {
        ResultSetWriter rs = new ResultSetWriter(out, columns);
        for (Object[] r : rows) {
            rs.row(r);
        }
        ResultSetWriter.complete(out, "SHOW");
    }

    /** One table from every loop's part, in loop order (the first part's row order first). */
    static Table merge(List<Table> parts, Merge how) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        Table merged = new Table(parts.get(0).columns);
        if (how.keyColumns() == 0) {
            parts.forEach(p -> merged.rows.addAll(p.rows));
            return merged;
        }
        Map<List<Object>, Object[]> byKey = new LinkedHashMap<>();
        for (Table part : parts) {
            for (Object[] row : part.rows) {
                List<Object> key = Arrays.asList(Arrays.copyOf(row, how.keyColumns()));
                Object[] seen = byKey.get(key);
                if (seen == null) {
                    byKey.put(key, row.clone());
                } else {
                    for (int c = how.keyColumns(); c < row.length; c++) {
                        if (seen[c] == null) {
                            seen[c] = row[c]; // a value only the loop that has the pools knows (current_host)
                        }
                    }
                    int[] summed = how.summed() != null ? how.summed()
                            : java.util.stream.IntStream.range(how.keyColumns(), row.length).toArray();
                    for (int c : summed) {
                        seen[c] = sum(seen[c], row[c]);
                    }
                }
            }
        }
        merged.rows.addAll(byKey.values());
        return merged;
    }

    private static Object sum(Object a, Object b) {
        if (a instanceof Integer x && b instanceof Integer y) {
            return x + y;
        }
        if (a instanceof Number x && b instanceof Number y) {
            return x.longValue() + y.longValue();
        }
        return a == null ? b : a;
    }
}

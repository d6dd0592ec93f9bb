package dev.poolctl.tui.source;

import java.util.List;

/** One row of a {@link Table}, read by column name. Absent columns and SQL NULLs read as null or the default. */
public record Row(Table table, List<String> values) {

    /** The text of {@code column}, or null when the column is absent or NULL. */
    public String text(String column) {
        int i = table.indexOf(column);
        return i < 0 || i >= values.size() ? null : values.get(i);
    }

    public String text(String column, String fallback) {
        String v = text(column);
        return v == null ? fallback : v;
    }

    public boolean has(String column) {
        return text(column) != null;
    }

    /** The integer in {@code column}, or {@code fallback} when absent, NULL or not a number. */
    public long number(String column, long fallback) {
        String v = text(column);
        if (v == null) {
            return fallback;
        }
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    /** Like {@link #number(String, long)} with 0: what a counter the target does not have contributes to a sum. */
    public long number(String column) {
        return number(column, 0);
    }
}

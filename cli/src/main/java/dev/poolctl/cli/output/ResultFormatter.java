package dev.poolctl.cli.output;

import dev.poolctl.client.AdminClient.Result;
import dev.poolctl.client.JsonText;
import java.math.BigDecimal;
import java.util.List;
import java.util.Set;

/** Renders an admin console result as text; shared by {@code show} (and later the console). */
public final class ResultFormatter {
    /** int8, int2, int4, numeric: printed right-aligned in tables and as JSON numbers. */
    private static final Set<Integer> NUMERIC_OIDS = Set.of(20, 21, 23, 1700);

    private ResultFormatter() {}

    public static String format(Result r, OutputFormat format) {
        return switch (format) {
            case table -> table(r);
            case csv -> csv(r);
            case json -> json(r);
        };
    }

    static boolean isNumeric(Result r, int column) {
        return column < r.typeOids().size() && NUMERIC_OIDS.contains(r.typeOids().get(column));
    }

    // ------------------------------------------------------------------ table

    /** psql's aligned format: centred headers, numbers right-aligned, {@code (N rows)}; NULL prints empty. */
    public static String table(Result r) {
        List<String> cols = r.columns();
        int n = cols.size();
        int[] width = new int[n];
        for (int i = 0; i < n; i++) {
            width[i] = cols.get(i).length();
        }
        for (List<String> row : r.rows()) {
            for (int i = 0; i < n && i < row.size(); i++) {
                width[i] = Math.max(width[i], value(row, i).length());
            }
        }
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            String c = cols.get(i);
            int left = (width[i] - c.length()) / 2;
            sb.append(i == 0 ? " " : " | ").append(" ".repeat(left)).append(c);
            if (i < n - 1) {
                sb.append(" ".repeat(width[i] - c.length() - left));
            }
        }
        sb.append('\n');
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : "+").append("-".repeat(width[i] + 2));
        }
        sb.append('\n');
        for (List<String> row : r.rows()) {
            for (int i = 0; i < n; i++) {
                String v = value(row, i);
                String pad = " ".repeat(width[i] - v.length());
                sb.append(i == 0 ? " " : " | ");
                if (isNumeric(r, i)) {
                    sb.append(pad).append(v);
                } else {
                    sb.append(v);
                    if (i < n - 1) {
                        sb.append(pad);
                    }
                }
            }
            sb.append('\n');
        }
        int rows = r.rows().size();
        sb.append('(').append(rows).append(rows == 1 ? " row)" : " rows)").append('\n');
        return sb.toString();
    }

    private static String value(List<String> row, int i) {
        String v = i < row.size() ? row.get(i) : null;
        return v == null ? "" : v;
    }

    // ------------------------------------------------------------------ csv

    /** RFC 4180: a header line, CRLF line ends, fields quoted when they hold a comma, quote, CR or LF. */
    public static String csv(Result r) {
        StringBuilder sb = new StringBuilder();
        csvLine(sb, r.columns());
        for (List<String> row : r.rows()) {
            csvLine(sb, row);
        }
        return sb.toString();
    }

    private static void csvLine(StringBuilder sb, List<String> fields) {
        for (int i = 0; i < fields.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            String f = fields.get(i);
            if (f == null) {
                continue;
            }
            if (f.indexOf(',') >= 0 || f.indexOf('"') >= 0 || f.indexOf('\r') >= 0 || f.indexOf('\n') >= 0) {
                sb.append('"').append(f.replace("\"", "\"\"")).append('"');
            } else {
                sb.append(f);
            }
        }
        sb.append("\r\n");
    }

    // ------------------------------------------------------------------ json

    /**
     * An array with one object per row, keys in column order; int2/int4/int8/numeric values are JSON numbers
     * (a value that is not a number stays a string), NULL is null.
     */
    public static String json(Result r) {
        if (r.rows().isEmpty()) {
            return "[]\n";
        }
        StringBuilder sb = new StringBuilder("[\n");
        for (int ri = 0; ri < r.rows().size(); ri++) {
            List<String> row = r.rows().get(ri);
            sb.append("  {");
            for (int i = 0; i < r.columns().size(); i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                JsonText.append(sb, r.columns().get(i));
                sb.append(": ");
                String v = i < row.size() ? row.get(i) : null;
                if (v == null) {
                    sb.append("null");
                } else if (isNumeric(r, i) && isJsonNumber(v)) {
                    sb.append(v);
                } else {
                    JsonText.append(sb, v);
                }
            }
            sb.append(ri < r.rows().size() - 1 ? "},\n" : "}\n");
        }
        return sb.append("]\n").toString();
    }

    /** JSON's number grammar (no leading '+', no NaN, no leading zeros beyond one). */
    static boolean isJsonNumber(String v) {
        if (!v.matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?")) {
            return false;
        }
        try {
            new BigDecimal(v);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}

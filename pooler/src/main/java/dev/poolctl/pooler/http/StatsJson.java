package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;

/**
 * {@code /stats}: the operator guide's endpoint built in, {@code {"timestamp": <unix seconds>, "pools": [SHOW POOLS
 * rows], "stats": [SHOW STATS rows]}}, each row an object keyed by column name with numbers for numeric columns.
 * Written by hand: the pooler has no JSON library, and this is all the JSON it writes.
 */
final class StatsJson {
    private StatsJson() {}

    static String write(long epochSeconds, ShowTables.Result pools, ShowTables.Result stats) {
        StringBuilder out = new StringBuilder(4096);
        out.append("{\"timestamp\":").append(epochSeconds).append(",\"pools\":");
        rows(out, pools);
        out.append(",\"stats\":");
        rows(out, stats);
        return out.append("}\n").toString();
    }

    private static void rows(StringBuilder out, ShowTables.Result result) {
        out.append('[');
        for (int r = 0; r < result.rows().size(); r++) {
            Object[] row = result.rows().get(r);
            out.append(r == 0 ? "{" : ",{");
            for (int c = 0; c < row.length; c++) {
                if (c > 0) {
                    out.append(',');
                }
                string(out, result.columns().get(c).name());
                out.append(':');
                value(out, row[c], result.columns().get(c).numeric());
            }
            out.append('}');
        }
        out.append(']');
    }

    private static void value(StringBuilder out, Object v, boolean numeric) {
        if (v == null) {
            out.append("null");
        } else if (numeric && (v instanceof Integer || v instanceof Long)) {
            out.append(v);
        } else {
            string(out, v.toString());
        }
    }

    /** A JSON string: quote, backslash and the control characters escaped (RFC 8259 section 7). */
    static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}

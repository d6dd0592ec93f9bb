package dev.poolctl.pooler.http;

import java.util.List;

/**
 * Prometheus text exposition format 0.0.4: {@code # HELP}, {@code # TYPE}, then one line per sample. A family is
 * written once with all its samples together, as the format requires.
 */
final class PrometheusText {
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder(16 * 1024);

    /** The {@code # HELP} and {@code # TYPE} lines of a family; {@code type} is {@code gauge} or {@code counter}. */
    PrometheusText family(String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(escapeHelp(help)).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** One sample of the family written last; labels are (name, value) pairs in the order given. */
    PrometheusText sample(String name, List<String> labelNames, List<String> labelValues, double value) {
        out.append(name);
        if (!labelNames.isEmpty()) {
            out.append('{');
            for (int i = 0; i < labelNames.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                out.append(labelNames.get(i)).append("=\"").append(escapeLabel(labelValues.get(i))).append('"');
            }
            out.append('}');
        }
        out.append(' ').append(format(value)).append('\n');
        return this;
    }

    @Override
    public String toString() {
        return out.toString();
    }

    /** A label value: backslash, double quote and line feed are the characters the format escapes. */
    static String escapeLabel(String value) {
        StringBuilder b = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '\\' -> b.append("\\\\");
                case '"' -> b.append("\\\"");
                case '\n' -> b.append("\\n");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** HELP text: backslash and line feed are escaped, a double quote is not. */
    static String escapeHelp(String help) {
        return help.replace("\\", "\\\\").replace("\n", "\\n");
    }

    /**
     * A sample value as Go's client writes it for the values we have: whole numbers without a fraction (counters
     * stay exact up to 2^53), others in Java's shortest round-trip form, which Prometheus parses.
     */
    static String format(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }
}

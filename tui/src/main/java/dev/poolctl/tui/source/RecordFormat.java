package dev.poolctl.tui.source;

import dev.poolctl.client.JsonText;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A snapshot as one line of JSON, and back: {@code {"t":<epoch ms>,"n":<monotonic ns>,"version":"...","tables":
 * {"POOLS":{"columns":[...],"rows":[[...],...]},...},"fleet":[{"name":"...","error":null,"snapshot":{...}}]}}. The
 * reader is a small recursive parser for exactly what the writer makes: linear in the line's length, depth
 * bounded, every value a string, null, a number or these objects and arrays.
 */
public final class RecordFormat {
    /** Deepest nesting read: a fleet's snapshot in a snapshot is four levels of objects and arrays below. */
    static final int MAX_DEPTH = 12;

    private RecordFormat() {}

    public static String write(Snapshot s) {
        StringBuilder sb = new StringBuilder(4096);
        write(sb, s);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Snapshot s) {
        sb.append("{\"t\":").append(s.takenAt().toEpochMilli()).append(",\"n\":").append(s.monotonicNanos())
                .append(",\"version\":");
        JsonText.append(sb, s.version());
        sb.append(",\"tables\":{");
        boolean first = true;
        for (Map.Entry<Show, Table> e : s.tables().entrySet()) {
            sb.append(first ? "" : ",");
            first = false;
            JsonText.append(sb, e.getKey().name());
            sb.append(":{\"columns\":");
            strings(sb, e.getValue().columns());
            sb.append(",\"rows\":[");
            for (int i = 0; i < e.getValue().rows().size(); i++) {
                sb.append(i == 0 ? "" : ",");
                strings(sb, e.getValue().rows().get(i));
            }
            sb.append("]}");
        }
        sb.append("},\"fleet\":[");
        for (int i = 0; i < s.fleet().size(); i++) {
            Snapshot.Instance in = s.fleet().get(i);
            sb.append(i == 0 ? "{\"name\":" : ",{\"name\":");
            JsonText.append(sb, in.name());
            sb.append(",\"error\":");
            if (in.error() == null) {
                sb.append("null");
            } else {
                JsonText.append(sb, in.error());
            }
            sb.append(",\"snapshot\":");
            if (in.snapshot() == null) {
                sb.append("null");
            } else {
                write(sb, in.snapshot());
            }
            sb.append('}');
        }
        sb.append("]}");
    }

    private static void strings(StringBuilder sb, List<String> values) {
        sb.append('[');
        for (int i = 0; i < values.size(); i++) {
            sb.append(i == 0 ? "" : ",");
            if (values.get(i) == null) {
                sb.append("null");
            } else {
                JsonText.append(sb, values.get(i));
            }
        }
        sb.append(']');
    }

    /**
     * @throws IllegalArgumentException for a line that is not one the writer made (the message says where)
     */
    public static Snapshot read(String line) {
        Object v = new Parser(line).document();
        return snapshot(v);
    }

    @SuppressWarnings("unchecked")
    private static Snapshot snapshot(Object v) {
        Map<String, Object> m = object(v, "snapshot");
        Map<Show, Table> tables = new EnumMap<>(Show.class);
        for (Map.Entry<String, Object> e : object(m.get("tables"), "tables").entrySet()) {
            Show show;
            try {
                show = Show.valueOf(e.getKey().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException unknown) {
                continue; // a list a newer poolctl recorded
            }
            Map<String, Object> t = object(e.getValue(), "table");
            List<List<String>> rows = new ArrayList<>();
            for (Object r : list(t.get("rows"), "rows")) {
                rows.add(strings(r));
            }
            tables.put(show, new Table(strings(t.get("columns")), rows));
        }
        List<Snapshot.Instance> fleet = new ArrayList<>();
        for (Object o : list(m.getOrDefault("fleet", List.of()), "fleet")) {
            Map<String, Object> i = object(o, "instance");
            Object snap = i.get("snapshot");
            fleet.add(new Snapshot.Instance((String) i.get("name"), snap == null ? null : snapshot(snap),
                    (String) i.get("error")));
        }
        return new Snapshot(number(m.get("n")), Instant.ofEpochMilli(number(m.get("t"))),
                m.get("version") instanceof String s ? s : "", tables, fleet);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(Object v, String what) {
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException(what + " is not an object");
        }
        return (Map<String, Object>) v;
    }

    @SuppressWarnings("unchecked")
    private static List<Object> list(Object v, String what) {
        if (!(v instanceof List)) {
            throw new IllegalArgumentException(what + " is not an array");
        }
        return (List<Object>) v;
    }

    private static List<String> strings(Object v) {
        List<String> out = new ArrayList<>();
        for (Object o : list(v, "row")) {
            if (o != null && !(o instanceof String)) {
                throw new IllegalArgumentException("a cell is not a string");
            }
            out.add((String) o);
        }
        return out;
    }

    private static long number(Object v) {
        if (!(v instanceof Long l)) {
            throw new IllegalArgumentException("a time is not a whole number");
        }
        return l;
    }

    /** Objects, arrays, strings, whole numbers, true/false/null; nothing else the writer makes. */
    private static final class Parser {
        private final String s;
        private int pos;
        private int depth;

        Parser(String s) {
            this.s = s;
        }

        Object document() {
            Object v = value();
            skipBlanks();
            if (pos != s.length()) {
                throw error("text after the value");
            }
            return v;
        }

        private Object value() {
            skipBlanks();
            if (pos >= s.length()) {
                throw error("a value is missing");
            }
            char c = s.charAt(pos);
            return switch (c) {
                case '{' -> object();
                case '[' -> array();
                case '"' -> string();
                case 'n' -> literal("null", null);
                case 't' -> literal("true", Boolean.TRUE);
                case 'f' -> literal("false", Boolean.FALSE);
                default -> number();
            };
        }

        private Map<String, Object> object() {
            enter();
            Map<String, Object> m = new LinkedHashMap<>();
            pos++;
            skipBlanks();
            if (peek() == '}') {
                pos++;
                depth--;
                return m;
            }
            while (true) {
                skipBlanks();
                if (peek() != '"') {
                    throw error("a key is missing");
                }
                String key = string();
                skipBlanks();
                expect(':');
                m.put(key, value());
                skipBlanks();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect('}');
                    depth--;
                    return m;
                }
            }
        }

        private List<Object> array() {
            enter();
            List<Object> l = new ArrayList<>();
            pos++;
            skipBlanks();
            if (peek() == ']') {
                pos++;
                depth--;
                return l;
            }
            while (true) {
                l.add(value());
                skipBlanks();
                if (peek() == ',') {
                    pos++;
                } else {
                    expect(']');
                    depth--;
                    return l;
                }
            }
        }

        private String string() {
            StringBuilder out = new StringBuilder();
            pos++;
            while (pos < s.length()) {
                char c = s.charAt(pos++);
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                if (pos >= s.length()) {
                    break;
                }
                char e = s.charAt(pos++);
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (pos + 4 > s.length()) {
                            throw error("a \\u escape is cut");
                        }
                        try {
                            out.append((char) Integer.parseInt(s.substring(pos, pos + 4), 16));
                        } catch (NumberFormatException x) {
                            throw error("a \\u escape is not hex");
                        }
                        pos += 4;
                    }
                    default -> throw error("an unknown escape");
                }
            }
            throw error("a string is not closed");
        }

        private Object number() {
            int start = pos;
            if (peek() == '-') {
                pos++;
            }
            while (pos < s.length() && Character.isDigit(s.charAt(pos)) && pos - start < 20) {
                pos++;
            }
            try {
                return Long.parseLong(s.substring(start, pos));
            } catch (NumberFormatException e) {
                throw error("not a value");
            }
        }

        private Object literal(String word, Object value) {
            if (!s.startsWith(word, pos)) {
                throw error("not a value");
            }
            pos += word.length();
            return value;
        }

        private void enter() {
            if (++depth > MAX_DEPTH) {
                throw error("nested too deep");
            }
        }

        private char peek() {
            return pos < s.length() ? s.charAt(pos) : '\0';
        }

        private void expect(char c) {
            if (peek() != c) {
                throw error("'" + c + "' expected");
            }
            pos++;
        }

        private void skipBlanks() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(what + " at character " + pos);
        }
    }
}

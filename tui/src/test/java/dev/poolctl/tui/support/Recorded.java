package dev.poolctl.tui.support;

import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.Table;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Admin-console answers recorded from real poolers ({@code poolctl show LIST --format csv} under pgbench load):
 * {@code recorded/pgbouncer-1.18-a} and {@code -b} are two samples of Debian's PgBouncer 1.18, {@code poolctl-0.1-*}
 * the same from poolctl. Also builds small tables by hand for the cases a real pooler will not show on demand.
 */
public final class Recorded {
    /** 2026-11-26 12:00:00 UTC, the wall clock of recorded snapshot 0. */
    public static final Instant T0 = Instant.parse("2026-11-26T12:00:00Z");

    private Recorded() {}

    /** The recorded sample {@code name} as if taken {@code seconds} after {@link #T0}. */
    public static Snapshot snapshot(String name, double seconds) {
        Map<Show, Table> tables = new EnumMap<>(Show.class);
        for (Show s : Show.values()) {
            String resource = "/recorded/" + name + "/" + s.name().toLowerCase(Locale.ROOT) + ".csv";
            if (Recorded.class.getResource(resource) != null) { // PgBouncer has no SHOW HAZARDS
                tables.put(s, csv(read(resource)));
            }
        }
        return new Snapshot((long) (seconds * 1e9), T0.plusMillis((long) (seconds * 1000)),
                read("/recorded/" + name + "/version.txt").trim(), tables);
    }

    /** A snapshot of the given tables, taken {@code seconds} after {@link #T0}. */
    public static Snapshot snapshot(double seconds, Map<Show, Table> tables) {
        return new Snapshot((long) (seconds * 1e9), T0.plusMillis((long) (seconds * 1000)), "test", tables);
    }

    /** {@code table("database,user,cl_waiting", "db,u,3")}: one header line, then rows; empty fields are NULL. */
    public static Table table(String header, String... rows) {
        StringBuilder sb = new StringBuilder(header).append('\n');
        for (String r : rows) {
            sb.append(r).append('\n');
        }
        return csv(sb.toString());
    }

    private static String read(String resource) {
        try (InputStream in = Recorded.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("no test resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** RFC 4180 as the cli writes it: quotes around fields with commas or quotes, "" inside. */
    static Table csv(String text) {
        List<List<String>> lines = new ArrayList<>();
        List<String> row = new ArrayList<>();
        StringBuilder field = new StringBuilder();
        boolean quoted = false;
        boolean wasQuoted = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < text.length() && text.charAt(i + 1) == '"') {
                    field.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    field.append(c);
                }
            } else if (c == '"') {
                quoted = true;
                wasQuoted = true;
            } else if (c == ',') {
                row.add(value(field, wasQuoted));
                field.setLength(0);
                wasQuoted = false;
            } else if (c == '\n') {
                row.add(value(field, wasQuoted));
                lines.add(row);
                row = new ArrayList<>();
                field.setLength(0);
                wasQuoted = false;
            } else if (c != '\r') {
                field.append(c);
            }
        }
        if (field.length() > 0 || !row.isEmpty()) {
            row.add(value(field, wasQuoted));
            lines.add(row);
        }
        return new Table(lines.get(0), lines.subList(1, lines.size()));
    }

    private static String value(StringBuilder field, boolean quoted) {
        return field.length() == 0 && !quoted ? null : field.toString();
    }
}

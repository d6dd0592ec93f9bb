package dev.poolctl.tui.model;

import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * poolctl's rows of SHOW STATE: when the pooler started (the header's uptime; a PgBouncer does not say, so the
 * header says how long top has watched), and whether a DRAIN runs and until when.
 *
 * @param startedAt null when the target does not say (PgBouncer)
 * @param drainDeadline null without a drain or without a deadline
 */
public record PoolerState(Instant startedAt, boolean draining, Instant drainDeadline) {
    static final PoolerState UNKNOWN = new PoolerState(null, false, null);
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    static PoolerState of(Snapshot s) {
        Instant started = null;
        boolean draining = false;
        Instant deadline = null;
        for (Row r : s.table(Show.STATE).rowList()) {
            switch (r.text("key", "")) {
                case "started_at" -> started = time(r.text("value"));
                case "draining" -> draining = "yes".equals(r.text("value"));
                case "drain_deadline" -> deadline = time(r.text("value"));
                default -> { }
            }
        }
        return new PoolerState(started, draining, deadline);
    }

    private static Instant time(String text) {
        if (text == null) {
            return null;
        }
        try {
            return Instant.from(TIME.parse(text));
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}

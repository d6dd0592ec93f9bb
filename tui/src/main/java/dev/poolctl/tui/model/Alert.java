package dev.poolctl.tui.model;

import java.time.Instant;

/**
 * One raised alert. {@code since} is when the condition began (not when the delay ran out); {@code ended} is null
 * while it still holds.
 */
public record Alert(AlertKind kind, String subject, Instant since, Instant ended, String detail) {
    public boolean active() {
        return ended == null;
    }

    Alert end(Instant at) {
        return new Alert(kind, subject, since, at, detail);
    }

    Alert withDetail(String newDetail) {
        return new Alert(kind, subject, since, ended, newDetail);
    }
}

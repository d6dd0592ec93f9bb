package dev.poolctl.tui.model;

import java.time.Instant;

/** Where the dashboard stands with the admin console. */
public sealed interface ConnectionState {
    /** Before the first answer. */
    record Connecting(Instant since) implements ConnectionState {}

    record Connected(Instant since) implements ConnectionState {}

    /** The last poll failed; the poller retries at {@code retryAt}. History and the last snapshot are kept. */
    record Reconnecting(Instant since, int attempt, String error, Instant retryAt) implements ConnectionState {}
}

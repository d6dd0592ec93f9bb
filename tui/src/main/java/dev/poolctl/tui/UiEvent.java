package dev.poolctl.tui;

import com.googlecode.lanterna.input.KeyStroke;
import dev.poolctl.tui.source.Snapshot;
import java.time.Duration;

/** Everything the dashboard's loop reacts to arrives as one of these, on one queue (bottom's event funnel). */
public sealed interface UiEvent {
    record SnapshotReady(Snapshot snapshot) implements UiEvent {}

    record PollFailed(String error, int attempt, Duration retryIn) implements UiEvent {}

    record KeyPressed(KeyStroke key) implements UiEvent {}

    record Resized() implements UiEvent {}

    /** A control command finished; {@code answer} is the console's tag or its error. */
    record ActionDone(String command, String answer, boolean failed) implements UiEvent {}

    /** A clock tick with no news, so alert durations and "reconnecting in" stay current. */
    record Tick() implements UiEvent {}

    record Quit() implements UiEvent {}
}

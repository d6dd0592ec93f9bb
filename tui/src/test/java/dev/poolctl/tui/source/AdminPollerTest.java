package dev.poolctl.tui.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.tui.support.Recorded;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(20)
class AdminPollerTest {
    @Test
    void backoffDoublesFromTheIntervalUpToThirtySeconds() {
        Duration i = Duration.ofSeconds(1);
        assertEquals(Duration.ofSeconds(1), AdminPoller.backoff(i, 1));
        assertEquals(Duration.ofSeconds(2), AdminPoller.backoff(i, 2));
        assertEquals(Duration.ofSeconds(16), AdminPoller.backoff(i, 5));
        assertEquals(AdminPoller.MAX_BACKOFF, AdminPoller.backoff(i, 6));
        assertEquals(AdminPoller.MAX_BACKOFF, AdminPoller.backoff(i, 500));
    }

    /** Fails {@code failures} times, then answers; records how many takes ran at once. */
    static final class ScriptedSource implements SnapshotSource {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger maxRunning = new AtomicInteger();
        final int failures;
        volatile boolean closed;

        ScriptedSource(int failures) {
            this.failures = failures;
        }

        @Override
        public Snapshot take() throws IOException {
            maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
            try {
                if (calls.incrementAndGet() <= failures) {
                    throw new ConnectException("connection refused");
                }
                return Recorded.snapshot(calls.get(), Map.of());
            } finally {
                running.decrementAndGet();
            }
        }

        @Override
        public String describe() {
            return "scripted";
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void failuresAreReportedWithAttemptsThenSnapshotsFlowAndPollsNeverOverlap() throws Exception {
        ScriptedSource source = new ScriptedSource(2);
        BlockingQueue<String> seen = new LinkedBlockingQueue<>();
        AdminPoller poller = new AdminPoller(source, Duration.ofMillis(100), new AdminPoller.Listener() {
            @Override
            public void snapshot(Snapshot s) {
                seen.add("snapshot");
            }

            @Override
            public void failed(Exception error, int attempt, Duration retryIn) {
                seen.add("failed " + attempt + " " + retryIn.toMillis() + " " + error.getMessage());
            }
        });
        poller.start();
        List<String> events = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            events.add(seen.poll(10, TimeUnit.SECONDS));
        }
        for (int i = 0; i < 5; i++) {
            poller.pollNow();
        }
        for (int i = 0; i < 3; i++) {
            events.add(seen.poll(10, TimeUnit.SECONDS));
        }
        poller.close();
        assertEquals(List.of("failed 1 100 connection refused", "failed 2 200 connection refused", "snapshot",
                "snapshot", "snapshot", "snapshot", "snapshot"), events);
        assertEquals(1, source.maxRunning.get(), "never two polls at once");
        assertTrue(source.closed, "closing the poller closes the source");
    }
}

package dev.poolctl.tui.source;

import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Takes snapshots on its own thread and hands them to a listener (k9s' updater). The first tick is immediate, then
 * one every interval, measured from the end of the previous poll, so two polls never overlap. After a failure it
 * backs off, doubling up to {@link #MAX_BACKOFF}; the first success resets it. It never touches the screen.
 */
public final class AdminPoller implements AutoCloseable {
    public static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    /** Called on the poller thread. */
    public interface Listener {
        void snapshot(Snapshot snapshot);

        void failed(Exception error, int attempt, Duration retryIn);
    }

    private final SnapshotSource source;
    private final Listener listener;
    private final ScheduledExecutorService thread;
    private volatile Duration interval;
    private int failures;
    private ScheduledFuture<?> next;

    public AdminPoller(SnapshotSource source, Duration interval, Listener listener) {
        this.source = source;
        this.listener = listener;
        this.interval = interval;
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "poolctl-top-poller");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        thread.execute(this::tick);
    }

    /** Polls now instead of at the next tick, e.g. right after an action changed the pooler. */
    public void pollNow() {
        thread.execute(() -> {
            if (next != null && next.cancel(false)) {
                tick();
            }
        });
    }

    /** Takes effect from the next tick. */
    public void interval(Duration interval) {
        this.interval = interval;
    }

    private void tick() {
        Duration wait;
        try {
            Snapshot s = source.take();
            failures = 0;
            wait = interval;
            listener.snapshot(s);
        } catch (Exception e) {
            failures++;
            wait = backoff(interval, failures);
            listener.failed(e, failures, wait);
        }
        if (!thread.isShutdown()) {
            next = thread.schedule(this::tick, wait.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** interval, 2×, 4×, ... capped at {@link #MAX_BACKOFF}. */
    static Duration backoff(Duration interval, int failures) {
        long millis = Math.max(interval.toMillis(), 100);
        for (int i = 1; i < failures && millis < MAX_BACKOFF.toMillis(); i++) {
            millis *= 2;
        }
        return Duration.ofMillis(Math.min(millis, MAX_BACKOFF.toMillis()));
    }

    @Override
    public void close() {
        thread.shutdownNow();
        try {
            thread.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        source.close();
    }
}

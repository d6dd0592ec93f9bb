package dev.poolctl.pooler.net;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Which event loop a newly accepted connection is registered on: round robin, or — when the pooler knows where
 * every client will go (one database) — that loop, so no client has to be moved after its login.
 */
public final class LoopChooser implements EventExecutorChooserFactory {
    private volatile int preferred = -1;

    /** The loop index new connections go to, or -1 for round robin. */
    public void prefer(int index) {
        preferred = index;
    }

    @Override
    public EventExecutorChooser newChooser(EventExecutor[] executors) {
        AtomicInteger next = new AtomicInteger();
        return () -> {
            int p = preferred;
            return executors[p >= 0 && p < executors.length ? p : Math.floorMod(next.getAndIncrement(), executors.length)];
        };
    }
}

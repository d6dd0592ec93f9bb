package dev.poolctl.pooler.net;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorChooserFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntSupplier;

/**
 * Which event loop a newly accepted connection is registered on: the loop where it will most likely end up, so
 * that it need not be moved after its login — when the pooler knows (one database) that loop, else the loop the
 * last client that logged in went to (the database most new connections are for, when one dominates) — or, before
 * any login, round robin.
 */
public final class LoopChooser implements EventExecutorChooserFactory {
    private volatile int preferred = -1;
    private final IntSupplier lastLogin;

    /** {@code lastLogin}: the loop index of the last client that logged in to a pool, or -1. */
    public LoopChooser(IntSupplier lastLogin) {
        this.lastLogin = lastLogin;
    }

    /** The loop index new connections go to whatever the logins (one database), or -1. */
    public void prefer(int index) {
        preferred = index;
    }

    @Override
    public EventExecutorChooser newChooser(EventExecutor[] executors) {
        AtomicInteger next = new AtomicInteger();
        return () -> {
            int p = preferred >= 0 ? preferred : lastLogin.getAsInt();
            return executors[p >= 0 && p < executors.length ? p : Math.floorMod(next.getAndIncrement(), executors.length)];
        };
    }
}

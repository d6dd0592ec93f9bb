package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.PoolManager;
import io.netty.channel.EventLoop;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a step once every other event loop has read what its sockets had: PgBouncer's one loop reads a client's
 * Terminate before the StartupMessage of the client that connected after it closed; with several loops the two can
 * be read in the other order. A limit that would refuse a login looks again after this (a few microseconds, never
 * a wait for a condition), so a client that left just before is not counted against the next.
 */
final class LoopBarrier {
    private LoopBarrier() {}

    /** {@code then} on {@code home}, after each loop other than {@code mine} has been through its I/O once more. */
    static void afterOtherLoops(PoolManager mine, Executor home, Runnable then) {
        List<PoolManager> others = mine.global().managers().stream().filter(m -> m != mine).toList();
        AtomicInteger left = new AtomicInteger(others.size());
        Runnable arrived = () -> {
            if (left.decrementAndGet() == 0) {
                try {
                    home.execute(then);
                } catch (RejectedExecutionException e) {
                    // the client's loop is stopping: so is the client
                }
            }
        };
        if (others.isEmpty()) {
            then.run();
            return;
        }
        for (PoolManager m : others) {
            try {
                if (m.loop() instanceof EventLoop loop) {
                    // Scheduled from a task, not run by it: a task runs in the batch the loop is in; a scheduled
                    // one only after the loop's next read of its sockets.
                    loop.execute(() -> loop.schedule(arrived, 0, TimeUnit.NANOSECONDS));
                } else {
                    m.execute(arrived);
                }
            } catch (RejectedExecutionException e) {
                arrived.run(); // a stopping loop reads nothing more
            }
        }
    }
}

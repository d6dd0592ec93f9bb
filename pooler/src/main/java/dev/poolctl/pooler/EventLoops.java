package dev.poolctl.pooler;

import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.StatsRotation;
import io.netty.channel.EventLoop;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** The daemon's event loops ({@link LoopShard}s, in loop order) and what it does on all of them. */
final class EventLoops {
    private final List<LoopShard> shards = new ArrayList<>();
    private final Map<EventLoop, LoopShard> byLoop = new IdentityHashMap<>();
    /** Set while a test reads pool state with every loop held ({@link #inspect}): the loops' confinement checks pass. */
    private volatile Thread inspector;

    /** At start, before any connection: the list is read-only afterwards. */
    void add(LoopShard shard) {
        shards.add(shard);
        byLoop.put(shard.loop(), shard);
    }

    List<LoopShard> all() {
        return Collections.unmodifiableList(shards);
    }

    /** The first loop: its manager's config is the one in force (every loop has the same). */
    LoopShard first() {
        return shards.get(0);
    }

    LoopShard of(EventLoop loop) {
        return byLoop.get(loop);
    }

    boolean inspecting() {
        return inspector == Thread.currentThread();
    }

    /** Runs {@code step} on every loop's manager, on its loop; {@code done} completes when all have run it. */
    void onEvery(Consumer<PoolManager> step, CompletableFuture<Void> done) {
        AtomicInteger left = new AtomicInteger(shards.size());
        for (LoopShard shard : shards) {
            try {
                shard.loop().execute(() -> {
                    try {
                        step.accept(shard.manager());
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                    }
                    if (left.decrementAndGet() == 0) {
                        done.complete(null);
                    }
                });
            } catch (RejectedExecutionException stopped) {
                done.completeExceptionally(new IOException("the pooler is shutting down"));
            }
        }
    }

    /** Every stats_period: each loop rotates its pools' snapshots on its loop; one stats line adds them up. */
    void statsTick(PoolerLog log) {
        List<CompletableFuture<StatsRotation.Rotated>> parts = new ArrayList<>();
        for (LoopShard shard : shards) {
            CompletableFuture<StatsRotation.Rotated> part = new CompletableFuture<>();
            shard.manager().execute(() -> part.complete(shard.manager().rotateStats()));
            parts.add(part);
        }
        CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenRun(() -> {
            if (first().manager().config().general().logStats()) {
                StatsRotation.log(log, parts.stream().map(CompletableFuture::join).toList());
            }
        });
    }

    /**
     * For tests: runs {@code task} where it may read and call into any loop's pools and waits for it. With one
     * loop it runs on that loop; with several every loop is held at a barrier while it runs on this thread.
     */
    <T> T inspect(Callable<T> task) throws Exception {
        if (shards.size() == 1) {
            return first().loop().submit(task).get(10, TimeUnit.SECONDS);
        }
        CountDownLatch held = new CountDownLatch(shards.size());
        CountDownLatch release = new CountDownLatch(1);
        for (LoopShard shard : shards) {
            shard.loop().execute(() -> {
                held.countDown();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        try {
            if (!held.await(10, TimeUnit.SECONDS)) {
                throw new TimeoutException("the event loops did not stop for inspection");
            }
            inspector = Thread.currentThread();
            return task.call();
        } finally {
            inspector = null;
            release.countDown();
        }
    }
}

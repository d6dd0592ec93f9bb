package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.PoolManager;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Runs a console step on every event loop's {@link PoolManager}, each on its own loop (pools are confined to their
 * loop), and collects the answers in loop order. With one loop the step runs at once and the future is already
 * complete, so the console answers in the same turn as before there were several loops.
 */
final class EveryLoop {
    private EveryLoop() {}

    static <T> CompletableFuture<List<T>> ask(GlobalState global, Function<PoolManager, T> step) {
        List<PoolManager> all = global.managers();
        CompletableFuture<List<T>> done = new CompletableFuture<>();
        Object[] answers = new Object[all.size()];
        // Each loop writes its answer, then counts down: the last one sees every answer (volatile order).
        AtomicInteger left = new AtomicInteger(all.size());
        for (int i = 0; i < all.size(); i++) {
            int at = i;
            PoolManager m = all.get(i);
            try {
                m.execute(() -> {
                    try {
                        answers[at] = step.apply(m);
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                        return;
                    }
                    if (left.decrementAndGet() == 0) {
                        @SuppressWarnings("unchecked")
                        List<T> list = (List<T>) Arrays.asList(answers);
                        done.complete(list);
                    }
                });
            } catch (RejectedExecutionException e) {
                done.completeExceptionally(new IllegalStateException("the pooler is shutting down"));
            }
        }
        return done;
    }

    /** A control command on every loop; completes when each has applied it. */
    static CompletableFuture<List<Object>> apply(GlobalState global, Consumer<PoolManager> step) {
        return ask(global, m -> {
            step.accept(m);
            return Boolean.TRUE;
        });
    }

    /** Whether {@code test} holds on every loop. */
    static CompletableFuture<Boolean> all(GlobalState global, java.util.function.Predicate<PoolManager> test) {
        return ask(global, test::test).thenApply(answers -> answers.stream().allMatch(Boolean::booleanValue));
    }
}

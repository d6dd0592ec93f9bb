package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.pool.PoolManager;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Console answers that wait for the pools (PAUSE until servers are released, WAIT_CLOSE until marked servers are
 * gone): checked on every janitor tick, on every loop, and sent once the condition holds. Confined to the loop
 * of the console that owns it.
 */
final class ConsoleWaiters {
    private static final class Waiter {
        final ConsoleClient client;
        final String tag;
        final Supplier<CompletableFuture<Boolean>> done;
        /** A check is out on the other loops: no second one until it is back. */
        boolean checking;

        Waiter(ConsoleClient client, String tag, Supplier<CompletableFuture<Boolean>> done) {
            this.client = client;
            this.tag = tag;
            this.done = done;
        }
    }

    private final PoolManager manager;
    private final List<Waiter> waiters = new ArrayList<>();

    ConsoleWaiters(PoolManager manager) {
        this.manager = manager;
    }

    /**
     * Answers {@code tag} into {@code out} now when {@code done} already holds, else when a later tick finds that it
     * does; {@code out} null: the answer is deferred anyway and is sent.
     */
    void answerWhen(ConsoleClient client, String tag, Supplier<CompletableFuture<Boolean>> done, ByteBuf out) {
        if (holds(done.get())) {
            if (out != null) {
                ResultSetWriter.complete(out, tag);
            } else {
                send(client, tag);
            }
        } else {
            waiters.add(new Waiter(client, tag, done));
        }
    }

    void tick() {
        if (waiters.isEmpty()) {
            return; // the common case, five times a second: no copy
        }
        for (Waiter w : new ArrayList<>(waiters)) {
            if (!w.client.isOpen()) {
                waiters.remove(w);
            } else if (!w.checking) {
                CompletableFuture<Boolean> check = w.done.get();
                if (check.isDone()) {
                    finish(w, check);
                } else {
                    w.checking = true;
                    check.whenComplete((ok, e) -> manager.execute(() -> {
                        w.checking = false;
                        finish(w, check);
                    }));
                }
            }
        }
    }

    private void finish(Waiter w, CompletableFuture<Boolean> check) {
        if (holds(check) && waiters.remove(w) && w.client.isOpen()) {
            send(w.client, w.tag);
        }
    }

    private static boolean holds(CompletableFuture<Boolean> check) {
        return check.isDone() && !check.isCompletedExceptionally() && check.join();
    }

    private static void send(ConsoleClient client, String tag) {
        ByteBuf out = client.alloc().buffer(64);
        ResultSetWriter.complete(out, tag);
        client.send(out);
    }
}

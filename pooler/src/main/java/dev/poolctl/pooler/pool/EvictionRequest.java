package dev.poolctl.pooler.pool;

import java.util.List;

/**
 * max_user_connections is reached, clients wait, and no idle server of the user is on this loop: asks the other
 * loops in turn to close one of theirs (PgBouncer's evict_user_connection, across loops). {@link ServerLimits}
 * sends one request per pool at a time, so a burst of waiting clients does not close a server per client; when a
 * server went, the pool serves its queue again on its own loop.
 */
final class EvictionRequest {
    private final Pool needy;
    private final PoolManager home;
    private final List<PoolManager> others;
    private final Runnable finished;

    private EvictionRequest(Pool needy, PoolManager home, Runnable finished) {
        this.needy = needy;
        this.home = home;
        this.others = home.global().managers().stream().filter(m -> m != home).toList();
        this.finished = finished;
    }

    /** {@code finished} runs on {@code home}'s loop when the request has its answer. */
    static void start(Pool needy, PoolManager home, Runnable finished) {
        new EvictionRequest(needy, home, finished).ask(0);
    }

    private void ask(int i) {
        PoolManager other = others.get(i);
        String user = needy.key().user();
        other.execute(() -> {
            boolean evicted = other.limits().evictIdleOfUser(user);
            home.execute(() -> answered(i, evicted));
        });
    }

    private void answered(int i, boolean evicted) {
        if (!evicted && i + 1 < others.size()) {
            ask(i + 1);
            return;
        }
        finished.run();
        if (evicted && !home.isShuttingDown()) {
            // the freed slot goes to what was waiting: queued requests, or the pool's first login
            needy.serveQueue();
            Janitor.launchForLoginWaiters(needy);
        }
    }
}

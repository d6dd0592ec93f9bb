package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.ServerWelcome;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Whether the pooler can log in to PostgreSQL at all, for /readyz: read from what the pools already know on their
 * loops, never by trying a login per probe. A pool can log in when it has a logged-in server (idle, active, used,
 * tested, being canceled) or its last server login succeeded. It cannot when its last login failed, no server is
 * logged in, and that failure is current: clients of the pool still wait for a server (so it keeps retrying), or
 * it failed less than server_login_retry ago (a new client would be given that error). Any other pool (its first
 * login under way, or an old failure nobody has asked about since) does not count either way. The pooler is
 * unready for this reason only when some pool cannot and none can: with no pool yet there is no evidence of a
 * failure, and an old failure ages out so that a pod taken out of a Service for it gets clients again and finds
 * out whether PostgreSQL is back (an unready pooler that no client reaches would otherwise never retry).
 */
final class PoolLogins {
    private PoolLogins() {}

    /** One loop's answer: some pool there can log in, else the latest failure there (null: none failed). */
    private record Part(boolean canLogIn, String failure, long failedAtNanos) {}

    /** Completes with null when some pool can log in or none has failed, else {@code no pool can log in: <why>}. */
    static CompletableFuture<String> whyNoneCanLogIn(GlobalState global) {
        return EveryLoop.ask(global, PoolLogins::part).thenApply(PoolLogins::merge);
    }

    private static Part part(PoolManager m) {
        long now = m.clock().nanoTime();
        long retry = m.config().general().serverLoginRetry().toNanos();
        Part latest = new Part(false, null, 0);
        for (Pool p : m.pools()) {
            ServerWelcome w = p.welcome();
            String failure = w.failedSinceLogin();
            if (p.serverCount() > p.loginCount() || (failure == null && w.everLoggedIn())) {
                return new Part(true, null, 0);
            }
            boolean current = failure != null
                    && (p.clientCount() > p.activeClientCount() || now - w.failedAtNanos() < retry);
            if (current && (latest.failure() == null || w.failedAtNanos() - latest.failedAtNanos() > 0)) {
                latest = new Part(false, failure, w.failedAtNanos());
            }
        }
        return latest;
    }

    private static String merge(List<Part> parts) {
        Part latest = null;
        for (Part p : parts) {
            if (p.canLogIn()) {
                return null;
            }
            if (p.failure() != null && (latest == null || p.failedAtNanos() - latest.failedAtNanos() > 0)) {
                latest = p;
            }
        }
        return latest == null ? null : "no pool can log in: " + latest.failure();
    }
}

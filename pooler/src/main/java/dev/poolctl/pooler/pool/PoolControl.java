package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.protocol.PgProtocol;
import java.util.ArrayList;
import java.util.Collection;

/** What the console's PAUSE, KILL and RECONNECT (and shutdown, and a changed connect string) do to one pool. */
final class PoolControl {
    private PoolControl() {}

    /** PAUSE: the idle servers close now (the others as they are released). */
    static void closeIdle(Pool pool, String reason) {
        for (PoolServer s : pool.serverLists().list(ServerState.IDLE)) {
            pool.disconnect(s, reason);
        }
    }

    /** RECONNECT, changed connect string: every server is closed as soon as it is not in use. */
    static void markAllCloseNeeded(Pool pool) {
        for (PoolServer s : pool.servers()) {
            if (s.state() == ServerState.IDLE) {
                pool.disconnect(s, "database configuration changed");
            } else {
                s.markCloseNeeded();
            }
        }
    }

    /** KILL, shutdown: every client fails with {@code reason}, every server closes. */
    static void closeAll(Pool pool, String reason) {
        for (PoolClient c : pool.clients()) { // a copy: failNow takes the client off the live lists
            c.failNow(PgProtocol.ADMIN_SHUTDOWN, reason);
        }
        for (PoolServer s : pool.servers()) {
            pool.disconnect(s, reason);
        }
    }

    /** SUSPEND (and RESUME): stop (start again) reading every client and server socket; a stop flushes them first. */
    static void suspend(Collection<Pool> pools, boolean suspended) {
        for (Pool p : pools) {
            p.clients().forEach(c -> c.suspend(suspended));
            p.servers().forEach(s -> s.suspend(suspended));
        }
    }

    /**
     * What SUSPEND's answer waits for: no client or server socket holds unsent data. With {@code force}
     * (suspend_timeout has passed) those that still do are closed instead, as PgBouncer's per_loop_suspend.
     */
    static boolean flushed(Collection<Pool> pools, boolean force) {
        boolean done = true;
        for (Pool p : new ArrayList<>(pools)) {
            for (PoolClient c : p.clients()) {
                if (c.pendingWriteBytes() > 0) {
                    if (force) {
                        c.fail(PgProtocol.PROTOCOL_VIOLATION, "suspend_timeout");
                    } else {
                        done = false;
                    }
                }
            }
            for (PoolServer s : p.servers()) {
                if (s.pendingWriteBytes() > 0) {
                    if (force) {
                        p.disconnect(s, "suspend_timeout");
                    } else {
                        done = false;
                    }
                }
            }
        }
        return done;
    }
}

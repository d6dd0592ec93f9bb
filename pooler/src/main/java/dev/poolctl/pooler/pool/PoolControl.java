package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.protocol.PgProtocol;

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
        for (PoolClient c : pool.clients()) {
            c.fail(PgProtocol.ADMIN_SHUTDOWN, reason);
        }
        for (PoolServer s : pool.servers()) {
            pool.disconnect(s, reason);
        }
    }
}

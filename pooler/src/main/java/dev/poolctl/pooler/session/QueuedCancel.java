package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.ClientState;
import java.util.concurrent.TimeUnit;

/**
 * A CancelRequest for a client still queued for a server (cl_waiting_cancel_req): sent to the server the client
 * gets, right after the query it was meant for.
 *
 * <p>PostgreSQL ignores a cancel that arrives while its backend is still reading a command, and the cancel sent
 * right after a queued client's query can get there first when the machine is busy. So while the client is still
 * linked to that server and the server has answered nothing since, the cancel is sent again, a few times. Once
 * the server answers anything the query has run or started, and no cancel is repeated: a late one could hit the
 * client's next query. Every send, repeats included, keeps the server out of reuse until it is done (Pool).
 *
 * <p>The client keeps only a flag (that a cancel is pending): no object per client for a rare event.
 */
final class QueuedCancel {
    private static final long REPEAT_MILLIS = 200;
    private static final int REPEATS = 5;

    private QueuedCancel() {}

    /** The client {@code c}, with a cancel pending, was linked to {@code s} and its query forwarded: send it. */
    static void linked(ClientConnection c, ServerConnection s) {
        s.pool().forwardCancel(s, null);
        repeat(c, s, s.forwardedRuns(), 1);
    }

    private static void repeat(ClientConnection c, ServerConnection s, long runsAtCancel, int attempt) {
        if (attempt > REPEATS) {
            return;
        }
        c.channel().eventLoop().schedule(() -> {
            if (c.server() == s && c.state() == ClientState.ACTIVE && s.forwardedRuns() == runsAtCancel) {
                s.pool().forwardCancel(s, null);
                repeat(c, s, runsAtCancel, attempt + 1);
            }
        }, REPEAT_MILLIS, TimeUnit.MILLISECONDS);
    }
}

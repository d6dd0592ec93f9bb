package dev.poolctl.pooler.pool;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * The cancel requests of one pool on their way to PostgreSQL, and the servers they keep out of use (PgBouncer's
 * waiting_cancel_req_list, active_cancel_req_list and being_canceled_server_list).
 *
 * <p>A cancel travels on a connection of its own, so it can arrive after the query it was meant for has ended.
 * A server whose client is done while a cancel for it is in flight is held here (being canceled) and goes back
 * to the pool only once every such cancel has finished, so the cancel can never hit the next client's query. A
 * cancel whose connection is not yet open when its server is released is not sent at all. {@code S} is the
 * server connection type (a plain object in unit tests).
 */
final class PoolCancels<S> {
    /** One forwarded cancel: waiting for its connection, then sent (active) until PostgreSQL closes it. */
    final class Request implements CancelCallback {
        private S target;
        private final Runnable whenDone;
        private boolean sent;
        private boolean done;

        private Request(S target, Runnable whenDone) {
            this.target = target;
            this.whenDone = whenDone;
        }

        @Override
        public boolean connected() {
            if (done || target == null) {
                return false; // the query it was meant for has ended: sending it could hit the next client's
            }
            sent = true;
            waitingRequests--;
            activeRequests++;
            return true;
        }

        @Override
        public void done() {
            if (done) {
                return;
            }
            done = true;
            if (sent) {
                activeRequests--;
            } else {
                waitingRequests--;
            }
            S s = target;
            target = null;
            if (whenDone != null) {
                whenDone.run();
            }
            if (s != null) {
                finished(s, this);
            }
        }
    }

    /** Called with a held server and its reset flag once its last cancel has finished. */
    private final BiConsumer<S, Boolean> onFinished;
    private final Map<S, List<Request>> byServer = new HashMap<>();
    /** Released servers waiting for their cancels, with whether they need server_reset_query afterwards. */
    private final Map<S, Boolean> beingCanceled = new LinkedHashMap<>();
    private int waitingRequests;
    private int activeRequests;

    PoolCancels(BiConsumer<S, Boolean> onFinished) {
        this.onFinished = onFinished;
    }

    /** A new cancel for the query {@code s} runs; {@code whenDone} (may be null) runs once it has finished. */
    Request add(S s, Runnable whenDone) {
        Request r = new Request(s, whenDone);
        byServer.computeIfAbsent(s, k -> new ArrayList<>()).add(r);
        waitingRequests++;
        return r;
    }

    /**
     * The server's client is done with it: false when it may be reused now; true when a sent cancel is still in
     * flight and the server is held until it finishes ({@code reset}: run server_reset_query then).
     */
    boolean holdWhileCanceling(S s, boolean reset) {
        List<Request> requests = byServer.get(s);
        if (requests == null) {
            return false;
        }
        // Not yet sent: never sent now (PgBouncer: "not sending cancel request for client that is now idle").
        requests.removeIf(r -> {
            if (!r.sent) {
                r.target = null;
                return true;
            }
            return false;
        });
        if (requests.isEmpty()) {
            byServer.remove(s);
            return false;
        }
        beingCanceled.put(s, reset);
        return true;
    }

    private void finished(S s, Request r) {
        List<Request> requests = byServer.get(s);
        if (requests == null || !requests.remove(r) || !requests.isEmpty()) {
            return;
        }
        byServer.remove(s);
        Boolean reset = beingCanceled.remove(s);
        if (reset != null) {
            onFinished.accept(s, reset);
        }
    }

    /** The server is gone: its cancels have nothing left to protect. */
    void serverClosed(S s) {
        List<Request> requests = byServer.remove(s);
        if (requests != null) {
            requests.forEach(r -> r.target = null);
        }
        beingCanceled.remove(s);
    }

    /** cl_waiting_cancel_req: cancels whose connection to PostgreSQL is not open yet. */
    int waitingRequestCount() {
        return waitingRequests;
    }

    /** cl_active_cancel_req and sv_active_cancel: cancels sent, until PostgreSQL has closed their connection. */
    int activeRequestCount() {
        return activeRequests;
    }

    /** sv_being_canceled. */
    int beingCanceledCount() {
        return beingCanceled.size();
    }

    List<S> beingCanceled() {
        return List.copyOf(beingCanceled.keySet());
    }
}

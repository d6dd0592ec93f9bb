package dev.poolctl.pooler.prepare;

import dev.poolctl.pooler.protocol.PgProtocol;
import java.util.ArrayDeque;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * The requests sent to one server whose answers have not all arrived, in order (PgBouncer's
 * outstanding_requests). Needed only while statements are rewritten: it tells which ParseComplete and
 * CloseComplete answer the pooler's own Parse and Close (swallowed), where the answers to Parse and Close
 * messages that were not sent at all go (faked, in order), and which Parses an error undid.
 *
 * <p>PostgreSQL answers every message in order: Parse with ParseComplete, Bind with BindComplete, Close with
 * CloseComplete, Describe with an optional ParameterDescription and then RowDescription or NoData, Execute with
 * rows ending in CommandComplete, EmptyQueryResponse or PortalSuspended, and Sync, Query and FunctionCall with
 * whatever they produce up to ReadyForQuery. After an ErrorResponse it skips every extended message up to the
 * next Sync.
 */
public final class OutstandingRequests {

    public enum Kind {
        /** The client's Parse, forwarded (renamed when named). */
        PARSE,
        /** The pooler's Parse before a Bind/Describe on a server that lacked the statement: answer swallowed. */
        PARSE_INJECTED,
        /** The client's Parse of a statement the server already has: not sent, ParseComplete faked. */
        PARSE_FAKE,
        BIND,
        DESCRIBE,
        EXECUTE,
        /** The client's Close of a portal or of the unnamed statement, forwarded. */
        CLOSE,
        /** The pooler's Close of a statement evicted from the server's cache: answer swallowed. */
        CLOSE_INJECTED,
        /** The client's Close of a named statement: not sent (other clients may use it), CloseComplete faked. */
        CLOSE_FAKE,
        /** Sync, Query or FunctionCall: answered up to ReadyForQuery. */
        SYNC
    }

    /** One request; {@code statement} and {@code clientName} only where a Parse or Close must be undone. */
    public record Request(Kind kind, SharedStatement statement, String clientName) {
        boolean isFake() {
            return kind == Kind.PARSE_FAKE || kind == Kind.CLOSE_FAKE;
        }

        boolean isParse() {
            return kind == Kind.PARSE || kind == Kind.PARSE_INJECTED || kind == Kind.PARSE_FAKE;
        }
    }

    /** What the server's side does about the answers. */
    public interface Effects {
        /** Sends a faked ParseComplete or CloseComplete to the client, right after the current message. */
        void fake(byte type);

        /** A Parse that never happened (error); a fake one only has a client name to undo. */
        void parseUndone(Request r);

        /** An evicted statement's Close that never happened: the server still has it. */
        void closeUndone(Request r);

        /** An evicted statement's Close was carried out. */
        void closeDone(Request r);

        /** Parse and Close of one statement were both undone in one error: the cache cannot be trusted. */
        void cacheUncertain();
    }

    /** {@link #onResponse} answer: forward the server's message. */
    public static final int FORWARD = 0;
    /** {@link #onResponse} answer: the message answers the pooler's own request; drop it. */
    public static final int SWALLOW = 1;
    /** {@link #onResponse} answer: the server answered something that was not asked: the stream is lost. */
    public static final int OUT_OF_SYNC = 2;

    private static final Request BIND = new Request(Kind.BIND, null, null);
    private static final Request DESCRIBE = new Request(Kind.DESCRIBE, null, null);
    private static final Request EXECUTE = new Request(Kind.EXECUTE, null, null);
    private static final Request CLOSE = new Request(Kind.CLOSE, null, null);
    private static final Request SYNC = new Request(Kind.SYNC, null, null);
    private static final Request PARSE_UNNAMED = new Request(Kind.PARSE, null, null);

    private final ArrayDeque<Request> queue = new ArrayDeque<>();
    /** The linked client sent a text that may drop every prepared statement: read each CommandComplete. */
    private boolean dropsPossible;

    public boolean isEmpty() {
        return queue.isEmpty();
    }

    public int size() {
        return queue.size();
    }

    /** A request without a statement to undo (Bind, Describe, Execute, Close of a portal, Sync, unnamed Parse). */
    public void add(Kind kind) {
        queue.addLast(switch (kind) {
            case BIND -> BIND;
            case DESCRIBE -> DESCRIBE;
            case EXECUTE -> EXECUTE;
            case CLOSE -> CLOSE;
            case SYNC -> SYNC;
            case PARSE -> PARSE_UNNAMED;
            default -> throw new IllegalArgumentException(kind + " needs a statement");
        });
    }

    public void add(Kind kind, SharedStatement statement, String clientName) {
        queue.addLast(new Request(kind, statement, clientName));
    }

    /**
     * A faked answer (ParseComplete or CloseComplete) for a message that was not sent: false when nothing is
     * outstanding, so the caller answers the client at once; otherwise it is sent after the answers before it.
     */
    public boolean addFake(Kind kind, SharedStatement statement, String clientName) {
        if (queue.isEmpty()) {
            return false;
        }
        queue.addLast(new Request(kind, statement, clientName));
        return true;
    }

    /** Matches one server message of a type {@link #tracks} to the request it answers. */
    public int onResponse(byte type, Effects effects) {
        int answer = FORWARD;
        switch (type) {
            case PgProtocol.PARSE_COMPLETE -> {
                Request r = queue.peekFirst();
                if (r == null || !r.isParse()) {
                    return OUT_OF_SYNC;
                }
                queue.pollFirst();
                answer = r.kind() == Kind.PARSE_INJECTED ? SWALLOW : FORWARD;
            }
            case PgProtocol.BIND_COMPLETE -> {
                if (!pollIf(Kind.BIND)) {
                    return OUT_OF_SYNC;
                }
            }
            case PgProtocol.CLOSE_COMPLETE -> {
                Request r = queue.peekFirst();
                if (r == null || (r.kind() != Kind.CLOSE && r.kind() != Kind.CLOSE_INJECTED)) {
                    return OUT_OF_SYNC;
                }
                queue.pollFirst();
                if (r.kind() == Kind.CLOSE_INJECTED) {
                    effects.closeDone(r);
                    answer = SWALLOW;
                }
            }
            case PgProtocol.ROW_DESCRIPTION, PgProtocol.NO_DATA -> pollIf(Kind.DESCRIBE);
            case PgProtocol.COMMAND_COMPLETE, PgProtocol.EMPTY_QUERY_RESPONSE, PgProtocol.PORTAL_SUSPENDED ->
                    pollIf(Kind.EXECUTE);
            case PgProtocol.ERROR_RESPONSE -> skipToSync(effects);
            case PgProtocol.READY_FOR_QUERY -> {
                Request r = queue.peekFirst();
                if (r != null && r.kind() != Kind.SYNC) {
                    skipToSync(effects); // not expected: whatever was before the Sync did not happen
                }
                if (!pollIf(Kind.SYNC)) {
                    return OUT_OF_SYNC;
                }
            }
            default -> {
                return FORWARD;
            }
        }
        while (!queue.isEmpty() && queue.peekFirst().isFake()) {
            Request fake = queue.pollFirst();
            effects.fake(fake.kind() == Kind.PARSE_FAKE ? PgProtocol.PARSE_COMPLETE : PgProtocol.CLOSE_COMPLETE);
        }
        return answer;
    }

    /**
     * Whether {@link #onResponse} needs to see a server message of this type now. With only Syncs (simple
     * queries) outstanding, only ReadyForQuery moves the queue: RowDescription, NoData, CommandComplete,
     * EmptyQueryResponse, PortalSuspended and ErrorResponse pass unread. CommandComplete is read after
     * {@link #mayDropStatements} (DISCARD ALL / DEALLOCATE ALL empty the server's statements).
     */
    public boolean needs(byte type) {
        if (!tracks(type)) {
            return false;
        }
        if (type == PgProtocol.READY_FOR_QUERY || (type == PgProtocol.COMMAND_COMPLETE && dropsPossible)) {
            return true;
        }
        for (Request r : queue) {
            if (r.kind() != Kind.SYNC) {
                return true;
            }
        }
        return false;
    }

    /**
     * The client sent a text that may drop every prepared statement (the scanner saw DISCARD or DEALLOCATE, or the
     * text was too long to scan): every CommandComplete is read until {@link #linkEnded}.
     */
    public void mayDropStatements() {
        dropsPossible = true;
    }

    /** The client's link to this server ended. */
    public void linkEnded() {
        dropsPossible = false;
    }

    /** Whether {@link #onResponse} needs to see server messages of this type. */
    public static boolean tracks(byte type) {
        return switch (type) {
            case PgProtocol.PARSE_COMPLETE, PgProtocol.BIND_COMPLETE, PgProtocol.CLOSE_COMPLETE,
                 PgProtocol.ROW_DESCRIPTION, PgProtocol.NO_DATA, PgProtocol.COMMAND_COMPLETE,
                 PgProtocol.EMPTY_QUERY_RESPONSE, PgProtocol.PORTAL_SUSPENDED, PgProtocol.ERROR_RESPONSE,
                 PgProtocol.READY_FOR_QUERY -> true;
            default -> false;
        };
    }

    private boolean pollIf(Kind kind) {
        Request r = queue.peekFirst();
        if (r == null || r.kind() != kind) {
            return false;
        }
        queue.pollFirst();
        return true;
    }

    /** After an error the server skips everything up to the next Sync: those requests never happened. */
    private void skipToSync(Effects effects) {
        Map<SharedStatement, Boolean> touched = null;
        while (!queue.isEmpty() && queue.peekFirst().kind() != Kind.SYNC) {
            Request r = queue.pollFirst();
            if (r.statement() == null) {
                continue;
            }
            if (r.kind() == Kind.PARSE || r.kind() == Kind.PARSE_INJECTED || r.kind() == Kind.CLOSE_INJECTED) {
                if (touched == null) {
                    touched = new IdentityHashMap<>();
                }
                if (touched.put(r.statement(), Boolean.TRUE) != null) {
                    effects.cacheUncertain();
                }
            }
            if (r.isParse()) {
                effects.parseUndone(r);
            } else if (r.kind() == Kind.CLOSE_INJECTED) {
                effects.closeUndone(r);
            }
        }
    }

    /** Forgets the first {@code n} Syncs: the server ignored them in copy-in and will not answer them. */
    public void ignoreSyncs(int n) {
        int left = n;
        for (java.util.Iterator<Request> it = queue.iterator(); it.hasNext() && left > 0; ) {
            if (it.next().kind() == Kind.SYNC) {
                it.remove();
                left--;
            }
        }
    }

    /** The connection is going away: hands the references held by queued Closes to {@code effects}. */
    public void clear(Effects effects) {
        for (Request r : queue) {
            if (r.kind() == Kind.CLOSE_INJECTED) {
                effects.closeDone(r);
            }
        }
        queue.clear();
    }
}

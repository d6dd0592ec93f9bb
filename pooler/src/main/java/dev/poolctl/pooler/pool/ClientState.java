package dev.poolctl.pooler.pool;

import java.util.EnumSet;

/**
 * A client's state: PgBouncer's client lists (cl_login, cl_waiting_login, cl_active, cl_waiting). A client sits
 * in the list of its state ({@link StateLists}); only the changes in {@link #canBecome} are possible.
 */
public enum ClientState {
    /** Before the StartupMessage (SSLRequest and friends): cl_login. */
    STARTUP,
    /** Authenticating: cl_login. */
    AUTH,
    /** Authenticated; waiting for the pool to know the server's parameters (cl_waiting_login). */
    LOGIN_WAIT,
    /** Logged in, no server linked (cl_active in PgBouncer's counting, "idle" in SHOW CLIENTS). */
    IDLE,
    /** Has a request, queued for a server: cl_waiting. */
    WAITING,
    /** Linked to a server: cl_active. */
    ACTIVE,
    /** Logged in to the admin console (database pgbouncer): queries are answered by the pooler itself. */
    ADMIN,
    /** Sent a CancelRequest: open until the cancel is done, then closed. */
    CANCEL,
    /** Gone: in no list. */
    CLOSED;

    private static final EnumSet<?>[] NEXT = new EnumSet<?>[values().length];

    static {
        NEXT[STARTUP.ordinal()] = EnumSet.of(AUTH, LOGIN_WAIT, ADMIN, CANCEL, CLOSED);
        NEXT[AUTH.ordinal()] = EnumSet.of(LOGIN_WAIT, ADMIN, CLOSED);
        NEXT[LOGIN_WAIT.ordinal()] = EnumSet.of(IDLE, CLOSED);
        NEXT[IDLE.ordinal()] = EnumSet.of(ACTIVE, WAITING, CLOSED);
        NEXT[WAITING.ordinal()] = EnumSet.of(ACTIVE, CLOSED);
        NEXT[ACTIVE.ordinal()] = EnumSet.of(IDLE, CLOSED);
        NEXT[ADMIN.ordinal()] = EnumSet.of(CLOSED);
        NEXT[CANCEL.ordinal()] = EnumSet.of(CLOSED);
        NEXT[CLOSED.ordinal()] = EnumSet.noneOf(ClientState.class);
    }

    /** The edge table: whether a client in this state may move to {@code to}. */
    public boolean canBecome(ClientState to) {
        return NEXT[ordinal()].contains(to);
    }
}

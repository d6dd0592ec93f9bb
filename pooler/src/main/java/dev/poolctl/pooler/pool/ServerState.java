package dev.poolctl.pooler.pool;

import java.util.EnumSet;

/**
 * A server connection's state: PgBouncer's server lists (sv_login, sv_idle, sv_active, sv_used, sv_tested,
 * sv_being_canceled). A server sits in the list of its state ({@link StateLists}); only the changes in
 * {@link #canBecome} are possible.
 */
public enum ServerState {
    /** Connecting and logging in: sv_login. */
    LOGIN,
    /** Ready and unlinked: sv_idle. */
    IDLE,
    /** Linked to a client: sv_active. */
    ACTIVE,
    /** Running server_reset_query after a session ended: sv_used. */
    USED,
    /** Running server_check_query before reuse: sv_tested. */
    TESTED,
    /** Released by its client while a cancel for it is in flight: sv_being_canceled, reused once it is done. */
    BEING_CANCELED,
    /** Gone: in no list. */
    CLOSED;

    private static final EnumSet<?>[] NEXT = new EnumSet<?>[values().length];

    static {
        NEXT[LOGIN.ordinal()] = EnumSet.of(IDLE, CLOSED);
        NEXT[IDLE.ordinal()] = EnumSet.of(ACTIVE, TESTED, CLOSED);
        NEXT[ACTIVE.ordinal()] = EnumSet.of(IDLE, USED, BEING_CANCELED, CLOSED);
        NEXT[USED.ordinal()] = EnumSet.of(IDLE, CLOSED);
        // A server just proven alive goes straight to the first waiter, not back through idle (and another check).
        NEXT[TESTED.ordinal()] = EnumSet.of(IDLE, ACTIVE, CLOSED);
        NEXT[BEING_CANCELED.ordinal()] = EnumSet.of(IDLE, USED, CLOSED);
        NEXT[CLOSED.ordinal()] = EnumSet.noneOf(ServerState.class);
    }

    /** The edge table: whether a server in this state may move to {@code to}. */
    public boolean canBecome(ServerState to) {
        return NEXT[ordinal()].contains(to);
    }
}

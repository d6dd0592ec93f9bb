package dev.poolctl.pooler.session;

/** A server connection's state: PgBouncer's server lists (sv_login, sv_idle, sv_active, sv_used/sv_tested). */
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
    CLOSED
}

package dev.poolctl.pooler.session;

/** A client's state: PgBouncer's client lists (cl_login, cl_waiting, cl_active). */
public enum ClientState {
    /** Before the StartupMessage (SSLRequest and friends). */
    STARTUP,
    /** Authenticating. */
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
    CLOSED
}

package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.protocol.ParameterStatusSet;

/**
 * A client as the pools see it: the session implements it, unit tests fake it. Pools move it between states
 * ({@link #entry}) and tell it what happened; they never touch its socket.
 */
public interface PoolClient extends PoolConnection {
    /** Its place in the state lists; made once with the client. */
    StateEntry<ClientState, PoolClient> entry();

    default ClientState state() {
        return entry().state();
    }

    /** When the client last sent anything (client_idle_timeout, idle_transaction_timeout). */
    long lastActivityNanos();

    /** Its pool once authenticated, else null. */
    Pool pool();

    /** The linked server, or null. */
    PoolServer server();

    /** The pool knows the server's parameters: send the welcome; the client is IDLE already. */
    void finishLogin(ParameterStatusSet serverWelcome);

    /** The pool linked {@code s} to this queued client (now ACTIVE): forward what it sent while it waited. */
    void linked(PoolServer s);

    /** The pool took its server back (transaction/statement mode); the client is IDLE already. */
    void released();

    /** Sends a FATAL ErrorResponse and closes; the client leaves its pool once the current read is done. */
    void fail(String sqlState, String message);

    /**
     * As {@link #fail}, but the client leaves its pool now: for a caller that walks no live list of the pool (KILL,
     * KILL_CLIENT walk copies), so that the next SHOW CLIENTS no longer lists it, as with PgBouncer. A task would
     * not do: an io_uring loop kept busy by a console's quick exchanges can run its tasks only tens of ms later.
     */
    default void failNow(String sqlState, String message) {
        fail(sqlState, message);
    }

    /** Sends a NoticeResponse (NOTICE, 00000): the client goes on. */
    void notice(String message);

    /** Closes without an error message (shutdown of console clients). */
    void close(String reason);

    /** A CancelRequest for this queued client arrived: it goes to the server the client gets, with its query. */
    void cancelWhenLinked();

    /** A CancelRequest for this client waits for it to get a server (cl_waiting_cancel_req). */
    boolean cancelPending();

    /** The login name (SHOW CLIENTS user). */
    String user();

    /** What its StartupMessage asked with {@code replication=}: NONE for every normal client. */
    default Replication replication() {
        return Replication.NONE;
    }

    /**
     * The startup parameters its own replication server gets besides the database's: {@code replication}, the
     * client's startup settings and its {@code options} verbatim (PgBouncer's send_startup_packet).
     */
    default java.util.Map<String, String> replicationStartup() {
        return java.util.Map.of();
    }
}

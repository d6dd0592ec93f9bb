package dev.poolctl.pooler.pool;

import java.util.Map;

/**
 * A server connection as the pools see it: the session implements it, unit tests fake it. Pools move it between
 * states ({@link #entry}), link it to clients and ask it to run their own queries or close.
 */
public interface PoolServer extends PoolConnection {
    StateEntry<ServerState, PoolServer> entry();

    default ServerState state() {
        return entry().state();
    }

    /** When it was last released or proven alive (server_idle_timeout, server_check_delay). */
    long lastUsedNanos();

    /** Not yet released nor checked since its login: both stamps are still its connect time. */
    default boolean neverUsed() {
        return lastUsedNanos() == connectNanos();
    }

    /**
     * When its client's current request started (query_timeout); with none in flight, when the last one was
     * answered (idle_transaction_timeout counts from the server's last answer, as PgBouncer's server request_time).
     */
    long requestNanos();

    /**
     * When its client's current transaction started, 0 when none is under way (transaction_timeout): the first
     * request sent while the server was outside a transaction, until the ReadyForQuery 'I' that ends it.
     */
    long xactStartNanos();

    /** ReadyForQuery messages its client's requests still owe. */
    int pendingRequests();

    /** The transaction status of its last ReadyForQuery. */
    byte txStatus();

    /** Nothing in flight: no ReadyForQuery owed and the server is outside a transaction. */
    boolean isQuiet();

    boolean closeNeeded();

    void markCloseNeeded();

    /** The socket is open (false once closed, before the close is reported). */
    boolean isOpen();

    /** Starts connecting, once the pool has listed it as LOGIN. */
    void connect();

    /** The linked client, or null. */
    PoolClient client();

    /** Serve {@code c} from now on (the server is ACTIVE already). */
    void link(PoolClient c, long nowNanos);

    /** Its client is done with it: forget the client's request accounting. */
    void unlink(long nowNanos);

    /** Just proven alive: server_check_delay and server_idle_timeout count from now. */
    void touch(long nowNanos);

    /** Runs a query of the pooler's own (reset or check); the pool hears back through internalQueryDone. */
    void sendInternal(String sql);

    /** Closes; the pool hears back through serverClosed. */
    void close(String reason);

    /** The ParameterStatus set of its login: the welcome of the pool's clients. */
    Map<String, String> welcome();

    // ---- cancels ----

    /** The address as logs show it: {@code host:port} or {@code unix:path}. */
    String address();

    /** The entry of the database's host list it was started for; null for the default unix socket. */
    String host();

    /** Whether its server is a standby, when target_session_attrs asked (false when nobody asked). */
    default boolean standby() {
        return false;
    }

    int backendPid();

    /** A replication server: its own client's for that client's life, never idle, never reused. */
    default Replication replication() {
        return Replication.NONE;
    }

    int backendKey();
}

package dev.poolctl.pooler.pool;

/**
 * A connection's place in the state lists: its state, since when, and its neighbours in that state's list
 * (PgBouncer's list node inside PgSocket). Each connection has one, made with it: moving never allocates. A client's
 * also holds its cancel key ({@link CancelKeys}) and whether it was told it is queued, the other per-connection
 * fields the pool layer keeps.
 */
public final class StateEntry<S extends Enum<S>, T> {
    /** No cancel key issued (yet, or any more); never issued as a key. */
    static final long NO_CANCEL_KEY = 0;

    final T owner;
    S state;
    long sinceNanos;
    StateLists<S, T> lists;
    StateEntry<S, T> prev;
    StateEntry<S, T> next;
    /** A client sent query_wait_notify's notice in this stay in its state; cleared by every move. */
    boolean waitNoticeSent;
    /** BackendKeyData as pid << 32 | secret; guarded by CancelKeys' lock. */
    long cancelKey = NO_CANCEL_KEY;

    public StateEntry(T owner, S initial, long nowNanos) {
        this.owner = owner;
        this.state = initial;
        this.sinceNanos = nowNanos;
    }

    public S state() {
        return state;
    }

    /** When the connection entered its current state (SHOW POOLS maxwait, query_wait_timeout). */
    public long sinceNanos() {
        return sinceNanos;
    }
}

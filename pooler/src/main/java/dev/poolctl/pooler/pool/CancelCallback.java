package dev.poolctl.pooler.pool;

/** What a forwarded cancel reports back: PgBouncer keeps the server out of use until the cancel is done. */
public interface CancelCallback {
    /** The cancel connection is open: whether to send the CancelRequest still. */
    boolean connected();

    /** The cancel connection is closed (PostgreSQL has acted on it), failed, or gave up: called once. */
    void done();
}

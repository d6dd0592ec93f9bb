package dev.poolctl.pooler.protocol;

/** Input that is not valid PostgreSQL protocol; the client gets SQLSTATE 08P01 and is closed. */
public final class PgProtocolException extends Exception {
    public PgProtocolException(String message) {
        super(message);
    }
}

package dev.poolctl.pooler.auth;

/**
 * A SCRAM exchange failed: malformed message, unsupported feature, or wrong password.
 *
 * <p>It carries the SQLSTATE PostgreSQL would report, so the caller can answer a client with the same ErrorResponse
 * PostgreSQL or PgBouncer would send.
 */
public class ScramException extends Exception {
    private static final long serialVersionUID = 1L;

    /** {@code protocol_violation}: the peer sent a malformed SCRAM message. */
    public static final String PROTOCOL_VIOLATION = "08P01";
    /** {@code invalid_password}: the proof (or the server's signature) did not match. */
    public static final String INVALID_PASSWORD = "28P01";
    /** {@code feature_not_supported}: authzid, mandatory extensions. */
    public static final String FEATURE_NOT_SUPPORTED = "0A000";

    private final String sqlState;

    /** A malformed-message failure ({@link #PROTOCOL_VIOLATION}). */
    public ScramException(String message) {
        this(PROTOCOL_VIOLATION, message);
    }

    public ScramException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState;
    }

    /** The SQLSTATE to report, one of the constants of this class. */
    public String sqlState() {
        return sqlState;
    }
}

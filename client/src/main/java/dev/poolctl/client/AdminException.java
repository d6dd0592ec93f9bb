package dev.poolctl.client;

/** The pooler answered with an ErrorResponse (at login or to a query): its SQLSTATE and message. */
public final class AdminException extends Exception {
    private static final long serialVersionUID = 1L;

    private final String sqlState;

    public AdminException(String sqlState, String message) {
        super(message);
        this.sqlState = sqlState == null ? "" : sqlState;
    }

    /** Five characters, or "" when the error carried none. */
    public String sqlState() {
        return sqlState;
    }
}

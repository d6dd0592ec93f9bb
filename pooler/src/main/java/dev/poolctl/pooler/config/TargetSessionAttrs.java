package dev.poolctl.pooler.config;

/**
 * libpq's {@code target_session_attrs}, per database entry: which server of a host list a new server connection may
 * keep. PgBouncer has no such key (its issue 561); the values and their meaning are libpq's. The role is read at
 * server login from {@code in_hot_standby} and {@code default_transaction_read_only}, which PostgreSQL 14 and later
 * report; older servers are asked with a query.
 */
public enum TargetSessionAttrs {
    ANY("any"),
    /** Writable: not a standby, and {@code default_transaction_read_only} off. */
    READ_WRITE("read-write"),
    /** A standby, or {@code default_transaction_read_only} on. */
    READ_ONLY("read-only"),
    PRIMARY("primary"),
    STANDBY("standby"),
    /** A standby when one of the hosts is, else any: a primary is kept once every host has been tried. */
    PREFER_STANDBY("prefer-standby");

    private final String text;

    TargetSessionAttrs(String text) {
        this.text = text;
    }

    /** libpq's spelling, exactly. */
    public static TargetSessionAttrs parse(String value) {
        for (TargetSessionAttrs v : values()) {
            if (v.text.equals(value)) {
                return v;
            }
        }
        throw new IllegalArgumentException("invalid value '" + value
                + "': expected any, read-write, read-only, primary, standby or prefer-standby");
    }

    /** Whether the server's role must be known at login (everything but {@code any}). */
    public boolean needsRole() {
        return this != ANY;
    }

    /**
     * Why a server with this role does not do, or null when it does.
     *
     * @param standby {@code in_hot_standby} (or {@code pg_is_in_recovery()})
     * @param readOnly {@code default_transaction_read_only} (or {@code transaction_read_only})
     * @param noStandbyFound prefer-standby only: every host has been tried and none was a standby
     */
    public String mismatch(boolean standby, boolean readOnly, boolean noStandbyFound) {
        boolean ok = switch (this) {
            case ANY -> true;
            case READ_WRITE -> !standby && !readOnly;
            case READ_ONLY -> standby || readOnly;
            case PRIMARY -> !standby;
            case STANDBY -> standby;
            case PREFER_STANDBY -> standby || noStandbyFound;
        };
        if (ok) {
            return null;
        }
        String role = standby ? "a standby" : readOnly ? "read-only" : "a writable primary";
        return "server is " + role + ", not " + text + " (target_session_attrs)";
    }

    @Override
    public String toString() {
        return text;
    }
}

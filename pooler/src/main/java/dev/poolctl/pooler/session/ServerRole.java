package dev.poolctl.pooler.session;

import dev.poolctl.pooler.config.TargetSessionAttrs;

/**
 * A server's role for target_session_attrs: whether it is a standby and whether its sessions are read-only by
 * default. PostgreSQL 14 and later report both at login ({@code in_hot_standby}, {@code default_transaction_read_only})
 * and again when they change (a promotion); older servers are asked with {@link #QUERY}, as libpq asks them.
 */
final class ServerRole {
    /** For servers that report no in_hot_standby: one round trip, both answers. */
    static final String QUERY =
            "SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting('transaction_read_only')";

    private final TargetSessionAttrs target;
    private Boolean standby;
    private Boolean readOnly;
    private boolean queried;

    ServerRole(TargetSessionAttrs target) {
        this.target = target;
    }

    /**
     * A ParameterStatus (lower-case name). True when it changed the role so that the server no longer does: a
     * standby promoted, a primary read-only now. prefer-standby never turns a server down after its login.
     */
    boolean parameter(String lowerName, String value) {
        boolean on = "on".equals(value);
        switch (lowerName) {
            case "in_hot_standby" -> standby = on;
            case "default_transaction_read_only" -> readOnly = on;
            default -> {
                return false;
            }
        }
        return target != TargetSessionAttrs.PREFER_STANDBY && mismatch(true) != null;
    }

    /** Whether the login must ask with {@link #QUERY} before it can decide (asked once). */
    boolean needsQuery() {
        if (!target.needsRole() || standby != null || queried) {
            return false;
        }
        queried = true;
        return true;
    }

    /** The answer row of {@link #QUERY}: {@code t}/{@code f} and {@code on}/{@code off}. */
    void answer(String[] row) {
        standby = row.length > 0 && "t".equals(row[0]);
        readOnly = row.length > 1 && "on".equals(row[1]);
    }

    /** Why this server does not do for the target, or null; {@code noStandbyFound}: see {@link TargetSessionAttrs}. */
    String mismatch(boolean noStandbyFound) {
        if (!target.needsRole()) {
            return null;
        }
        return target.mismatch(Boolean.TRUE.equals(standby), Boolean.TRUE.equals(readOnly), noStandbyFound);
    }

    boolean isStandby() {
        return Boolean.TRUE.equals(standby);
    }

    TargetSessionAttrs target() {
        return target;
    }
}

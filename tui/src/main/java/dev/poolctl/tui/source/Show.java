package dev.poolctl.tui.source;

/**
 * The admin-console lists the dashboard polls: SHOWs that PgBouncer 1.18 and poolctl both answer, and poolctl's
 * own SHOW HAZARDS, SHOW HISTOGRAMS (p50/p99 wait), SHOW WAITS (why clients wait) and SHOW STATE (its start time and
 * drain; PgBouncer 1.18 has no SHOW STATE at all), asked only of a poolctl so a
 * PgBouncer's log gets no error a second (for a PgBouncer the causes are inferred from POOLS, DATABASES, USERS and
 * CONFIG).
 */
public enum Show {
    POOLS(false), STATS(false), CLIENTS(false), SERVERS(false), DATABASES(false), CONFIG(false), USERS(false),
    HAZARDS(true), HISTOGRAMS(true), WAITS(true), STATE(true);

    private final boolean poolctlOnly;

    Show(boolean poolctlOnly) {
        this.poolctlOnly = poolctlOnly;
    }

    public String sql() {
        return "SHOW " + name();
    }

    /** Whether a target answering SHOW VERSION with {@code version} has this list. */
    public boolean askedOf(String version) {
        return !poolctlOnly || version.startsWith("poolctl");
    }
}

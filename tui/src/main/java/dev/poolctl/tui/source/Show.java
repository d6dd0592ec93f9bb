package dev.poolctl.tui.source;

/** The admin-console lists the dashboard polls. Each is a SHOW that PgBouncer 1.18 and poolctl both answer. */
public enum Show {
    POOLS, STATS, CLIENTS, SERVERS, DATABASES, CONFIG;

    public String sql() {
        return "SHOW " + name();
    }
}

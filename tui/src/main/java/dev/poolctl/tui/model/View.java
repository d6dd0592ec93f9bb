package dev.poolctl.tui.model;

import dev.poolctl.tui.source.Show;
import java.util.List;

/**
 * The dashboard's screens, in key order (1-8). Console-backed views list the columns they prefer, most useful
 * first; the ones the target has and the width allows are shown, so a PgBouncer with fewer columns works.
 */
public enum View {
    POOLS("Pools", Show.POOLS, List.of()),
    CLIENTS("Clients", Show.CLIENTS, List.of("instance", "id", "user", "database", "state", "addr", "port", "wait", "wait_us",
            "connect_time", "request_time", "application_name", "prepared_statements", "link", "ptr", "tls")),
    SERVERS("Servers", Show.SERVERS, List.of("instance", "user", "database", "state", "addr", "port", "remote_pid",
            "connect_time", "request_time", "application_name", "prepared_statements", "link", "ptr", "tls")),
    STATS("Stats", Show.STATS, List.of()),
    DATABASES("Databases", Show.DATABASES, List.of("name", "host", "port", "database", "pool_size", "min_pool_size",
            "reserve_pool", "reserve_pool_size", "pool_mode", "max_connections", "current_connections", "paused",
            "disabled", "force_user", "server_lifetime", "max_client_connections", "current_client_connections")),
    CONFIG("Config", Show.CONFIG, List.of("key", "value", "default", "changeable")),
    /** poolctl's SHOW HAZARDS: what transaction pooling silently breaks, per pool. Empty against PgBouncer. */
    HAZARDS("Hazards", Show.HAZARDS, List.of("instance", "database", "user", "prepare", "session_set", "listen",
            "advisory_lock", "temp_table", "with_hold")),
    /** One row per instance of a fleet (top --target ...): up or down, version, clients, tps. */
    FLEET("Fleet", Show.POOLS, List.of());

    private final String title;
    private final Show source;
    private final List<String> preferredColumns;

    View(String title, Show source, List<String> preferredColumns) {
        this.title = title;
        this.source = source;
        this.preferredColumns = preferredColumns;
    }

    public String title() {
        return title;
    }

    public Show source() {
        return source;
    }

    /** For console-backed views: the SHOW columns to show, in order of preference. Empty for computed views. */
    public List<String> preferredColumns() {
        return preferredColumns;
    }

    /** True when the rows come straight from one SHOW rather than from the model's computed rows. */
    public boolean consoleBacked() {
        return !preferredColumns.isEmpty();
    }

    /** The database a row of this view belongs to, for actions on the selected row. */
    public String databaseColumn() {
        return this == DATABASES ? "name" : "database";
    }

    public View next() {
        return values()[(ordinal() + 1) % values().length];
    }
}

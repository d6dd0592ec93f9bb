package dev.poolctl.pooler.pool;

import java.util.Locale;

/**
 * What a client's StartupMessage asked with {@code replication=} (PgBouncer 1.23+, client.c set_replication):
 * {@code database} is logical replication, a true boolean physical. Such a client gets a server of its own,
 * opened with the same parameter ({@link ReplicationLinks}).
 */
public enum Replication {
    NONE("none", "no"),
    LOGICAL("logical", "database"),
    PHYSICAL("physical", "yes");

    private final String shown;
    private final String startupValue;

    Replication(String shown, String startupValue) {
        this.shown = shown;
        this.startupValue = startupValue;
    }

    /** SHOW CLIENTS/SERVERS {@code replication}. */
    public String shown() { return shown; }

    /** The {@code replication} startup parameter the server gets (PgBouncer's replication_type_parameters). */
    public String startupValue() { return startupValue; }

    /**
     * PgBouncer's set_replication: {@code database}, else a boolean as PostgreSQL spells them; a value that is
     * neither leaves the connection a normal one, as PgBouncer ignores set_replication's failure.
     */
    public static Replication parse(String value) {
        if ("database".equals(value)) {
            return LOGICAL;
        }
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "1", "on", "true", "yes", "t", "y" -> PHYSICAL;
            default -> NONE;
        };
    }
}

package dev.poolctl.pooler.config;

/**
 * A configuration file cannot be used: unreadable, syntax error, or a bad value.
 *
 * <p>The message is meant for the operator as it stands and names where the problem is, for example
 * {@code pgbouncer.ini: [pgbouncer] max_client_conn: invalid integer 'abc'}.
 */
public class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}

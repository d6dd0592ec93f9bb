package dev.poolctl.pooler.config;


import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One entry of {@code [users]}, e.g. {@code alice = pool_mode=transaction max_user_connections=10}. Each override
 * is null when not set; then the database's or the general setting applies (see {@link PoolerConfig}).
 *
 * @param name the user name
 * @param poolMode or null
 * @param maxUserConnections or null
 * @param poolSize or null
 * @param reservePoolSize or null
 * @param queryTimeout or null; like the next three, 0 is "not set" (PgBouncer 1.25's loader.c keeps 0 for an
 *     absent key and janitor.c uses a user's value only when above 0)
 * @param idleTransactionTimeout or null
 * @param transactionTimeout or null
 * @param clientIdleTimeout or null
 * @param queryWaitTimeout or null; PgBouncer 1.26's key, where a 0 that is set does count (it disables the wait
 *     limit for the user)
 * @param maxUserClientConnections or null ({@code max_user_client_connections}: the user's clients, 1.24); 0 is
 *     "not set" as for max_user_connections
 */
public record UserConfig(
        String name,
        PoolMode poolMode,
        Integer maxUserConnections,
        Integer poolSize,
        Integer reservePoolSize,
        Duration queryTimeout,
        Duration idleTransactionTimeout,
        Duration transactionTimeout,
        Duration clientIdleTimeout,
        Duration queryWaitTimeout,
        Integer maxUserClientConnections) {

    /** Per-user keys of newer PgBouncer releases that poolctl does not implement yet: accepted with a warning. */
    private static final Set<String> IGNORED_KEYS = Set.of();

    public UserConfig {
        Objects.requireNonNull(name, "name");
    }

    /** An entry without timeouts. */
    public UserConfig(String name, PoolMode poolMode, Integer maxUserConnections, Integer poolSize,
                      Integer reservePoolSize) {
        this(name, poolMode, maxUserConnections, poolSize, reservePoolSize, null, null, null, null, null, null);
    }

    /**
     * Parses the settings string of the user {@code name} (same syntax as a database connect string).
     *
     * @param warn receives a message for each key that is accepted but ignored
     * @throws IllegalArgumentException for a syntax error, an unknown key or a bad value; the message names the
     *     key but not the file, section or user
     */
    static UserConfig parse(String name, String settings, Consumer<String> warn) {
        PoolMode poolMode = null;
        Integer maxUserConnections = null;
        Integer poolSize = null;
        Integer reservePoolSize = null;
        Duration queryTimeout = null;
        Duration idleTransactionTimeout = null;
        Duration transactionTimeout = null;
        Duration clientIdleTimeout = null;
        Duration queryWaitTimeout = null;
        Integer maxUserClientConnections = null;
        for (ConnectString.Pair pair : ConnectString.parse(settings)) {
            String key = pair.key();
            String value = pair.value();
            boolean known = true;
            try {
                switch (key) {
                    case "pool_mode" -> poolMode = Values.parsePoolMode(value);
                    case "max_user_connections" -> maxUserConnections = Values.parseDecimalInt(value);
                    case "pool_size" -> poolSize = Values.parseDecimalInt(value);
                    case "reserve_pool_size" -> reservePoolSize = Values.parseDecimalInt(value);
                    case "query_timeout" -> queryTimeout = Values.parseSeconds(value);
                    case "idle_transaction_timeout" -> idleTransactionTimeout = Values.parseSeconds(value);
                    case "transaction_timeout" -> transactionTimeout = Values.parseSeconds(value);
                    case "client_idle_timeout" -> clientIdleTimeout = Values.parseSeconds(value);
                    case "query_wait_timeout" -> queryWaitTimeout = Values.parseSeconds(value);
                    case "max_user_client_connections" -> maxUserClientConnections = Values.parseDecimalInt(value);
                    default -> known = false;
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
            if (!known) {
                if (!IGNORED_KEYS.contains(key)) {
                    throw new IllegalArgumentException("unrecognized user parameter '" + key + "'");
                }
                warn.accept("user parameter " + key + " is not supported by poolctl yet; ignored");
            }
        }
        return new UserConfig(name, poolMode, maxUserConnections, poolSize, reservePoolSize, queryTimeout,
                idleTransactionTimeout, transactionTimeout, clientIdleTimeout, queryWaitTimeout,
                maxUserClientConnections);
    }
}

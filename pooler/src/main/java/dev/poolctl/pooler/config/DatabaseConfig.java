package dev.poolctl.pooler.config;


import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;

/**
 * One entry of {@code [databases]}: the name clients connect to, and where and how the pooler reaches the server.
 *
 * <p>Nullable components ({@code dbname}, {@code user}, {@code password}, {@code authUser} and every per-database
 * override) are null when the connect string does not set them; then the general setting applies, see
 * {@link PoolerConfig} for the effective values.
 *
 * @param name the database name clients ask for; {@value #FALLBACK_NAME} for the fallback entry
 * @param hosts server hosts, in order: names, IP addresses, or Unix socket directories (starting with {@code /},
 *     or {@code @} for the abstract namespace). Several hosts are chosen per {@code loadBalanceHosts}, and skipped
 *     when they fail or have the wrong role for {@code targetSessionAttrs}. <b>Empty</b> when the connect
 *     string has no {@code host}, which is PgBouncer's rule for "connect over the Unix socket in
 *     {@code unix_socket_dir}" ({@code <unix_socket_dir>/.s.PGSQL.<port>})
 * @param port server port, default 5432 (also names the Unix socket file)
 * @param dbname server database name, or null for "same as {@code name}" (see {@link #targetDbname()})
 * @param user forced server user (one pool for the whole database), or null to log in as the client's user
 * @param password password for the forced user, or null to take it from {@code auth_file}
 * @param authUser per-database {@code auth_user}, or null
 * @param authQuery per-database {@code auth_query}, or null
 * @param authDbname per-database {@code auth_dbname}: the database the auth_query runs in, or null
 * @param poolSize or null
 * @param minPoolSize or null
 * @param reservePoolSize or null ({@code reserve_pool_size}, alias {@code reserve_pool})
 * @param poolMode or null
 * @param maxDbConnections or null
 * @param maxDbClientConnections or null ({@code max_db_client_connections}: clients of the database, 1.24)
 * @param clientEncoding startup parameter sent to the server, or null
 * @param datestyle startup parameter sent to the server, or null
 * @param timezone startup parameter sent to the server, or null
 * @param applicationName startup parameter sent to the server, or null
 * @param connectQuery query run once on each new server connection, or null
 * @param serverLifetime or null
 * @param loadBalanceHosts which host of several a new server connection uses (default round-robin)
 * @param targetSessionAttrs which server role a new server connection must find (default any)
 * @param queryWaitTimeout PgBouncer 1.26's per-database {@code query_wait_timeout}, or null; a 0 that is set
 *     counts (no wait limit for the database's clients)
 */
public record DatabaseConfig(
        String name,
        List<String> hosts,
        int port,
        String dbname,
        String user,
        String password,
        String authUser,
        String authQuery,
        String authDbname,
        Integer poolSize,
        Integer minPoolSize,
        Integer reservePoolSize,
        PoolMode poolMode,
        Integer maxDbConnections,
        Integer maxDbClientConnections,
        String clientEncoding,
        String datestyle,
        String timezone,
        String applicationName,
        String connectQuery,
        Duration serverLifetime,
        LoadBalanceHosts loadBalanceHosts,
        TargetSessionAttrs targetSessionAttrs,
        Duration queryWaitTimeout) {

    /** The name of the fallback entry, used for client databases that have no entry of their own. */
    public static final String FALLBACK_NAME = "*";
    /** PgBouncer's default server port. */
    public static final int DEFAULT_PORT = 5432;

    /**
     * Connect-string keys PgBouncer knows that poolctl does not implement yet. They are accepted so that an
     * existing file loads, and reported as warnings.
     */
    private static final Set<String> IGNORED_KEYS = Set.of();

    public DatabaseConfig {
        Objects.requireNonNull(name, "name");
        hosts = List.copyOf(hosts);
        Objects.requireNonNull(loadBalanceHosts, "loadBalanceHosts");
        Objects.requireNonNull(targetSessionAttrs, "targetSessionAttrs");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port " + port);
        }
    }

    /** True for the {@value #FALLBACK_NAME} entry. */
    public boolean isFallback() {
        return FALLBACK_NAME.equals(name);
    }

    /** The database name to ask the server for: {@code dbname}, or the entry's own name when not set. */
    public String targetDbname() {
        return dbname != null ? dbname : name;
    }

    /** True for a host that is a Unix socket directory ({@code /path}) or abstract socket name ({@code @name}). */
    public static boolean isUnixSocketHost(String host) {
        return host.startsWith("/") || host.startsWith("@");
    }

    /**
     * The entry a client database without its own entry gets from the fallback: a copy named {@code clientDb},
     * with {@code dbname} defaulted to {@code clientDb} (as PgBouncer's auto-databases do).
     */
    public DatabaseConfig forClientDatabase(String clientDb) {
        return new DatabaseConfig(clientDb, hosts, port, dbname != null ? dbname : clientDb, user, password,
                authUser, authQuery, authDbname, poolSize, minPoolSize, reservePoolSize, poolMode, maxDbConnections,
                maxDbClientConnections, clientEncoding, datestyle, timezone, applicationName, connectQuery, serverLifetime,
                loadBalanceHosts, targetSessionAttrs, queryWaitTimeout);
    }

    /**
     * Parses the connect string of the entry {@code name}. Keys are case-sensitive as in PgBouncer.
     *
     * @param warn receives a message for each key that is accepted but ignored
     * @throws IllegalArgumentException for a syntax error, an unknown key or a bad value; the message names the
     *     key ({@code pool_size: invalid integer 'x'}) but not the file, section or entry
     */
    static DatabaseConfig parse(String name, String connectString, Consumer<String> warn) {
        List<String> hosts = List.of();
        int port = DEFAULT_PORT;
        String dbname = null;
        String user = null;
        String password = null;
        String authUser = null;
        String authQuery = null;
        String authDbname = null;
        Integer poolSize = null;
        Integer minPoolSize = null;
        Integer reservePoolSize = null;
        PoolMode poolMode = null;
        Integer maxDbConnections = null;
        Integer maxDbClientConnections = null;
        String clientEncoding = null;
        String datestyle = null;
        String timezone = null;
        String applicationName = null;
        String connectQuery = null;
        Duration serverLifetime = null;
        LoadBalanceHosts loadBalanceHosts = LoadBalanceHosts.ROUND_ROBIN;
        TargetSessionAttrs targetSessionAttrs = TargetSessionAttrs.ANY;
        Duration queryWaitTimeout = null;

        for (ConnectString.Pair pair : ConnectString.parse(connectString)) {
            String key = pair.key();
            String value = pair.value();
            boolean known = true;
            try {
                switch (key) {
                    case "dbname" -> dbname = value;
                    case "host" -> hosts = parseHosts(value);
                    case "port" -> port = parsePort(value);
                    case "user" -> user = value;
                    case "password" -> password = value;
                    case "auth_user" -> authUser = value;
                    case "auth_query" -> authQuery = value;
                    case "auth_dbname" -> authDbname = value;
                    case "pool_size" -> poolSize = Values.parseDecimalInt(value);
                    case "min_pool_size" -> minPoolSize = Values.parseDecimalInt(value);
                    case "reserve_pool_size", "reserve_pool" -> reservePoolSize = Values.parseDecimalInt(value);
                    case "pool_mode" -> poolMode = Values.parsePoolMode(value);
                    case "max_db_connections" -> maxDbConnections = Values.parseDecimalInt(value);
                    case "max_db_client_connections" -> maxDbClientConnections = Values.parseDecimalInt(value);
                    case "client_encoding" -> clientEncoding = value;
                    case "datestyle" -> datestyle = value;
                    case "timezone" -> timezone = value;
                    case "application_name" -> applicationName = value;
                    case "connect_query" -> connectQuery = value;
                    case "server_lifetime" -> serverLifetime = Values.parseSeconds(value);
                    case "load_balance_hosts" -> loadBalanceHosts = LoadBalanceHosts.parse(value);
                    case "target_session_attrs" -> targetSessionAttrs = TargetSessionAttrs.parse(value);
                    case "query_wait_timeout" -> queryWaitTimeout = Values.parseSeconds(value);
                    default -> known = false;
                }
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(key + ": " + e.getMessage(), e);
            }
            if (!known) {
                if (!IGNORED_KEYS.contains(key)) {
                    throw new IllegalArgumentException("unrecognized connection parameter '" + key + "'");
                }
                warn.accept("connection parameter " + key + " is not supported by poolctl yet; ignored");
            }
        }
        return new DatabaseConfig(name, hosts, port, dbname, user, password, authUser, authQuery, authDbname,
                poolSize, minPoolSize, reservePoolSize, poolMode, maxDbConnections, maxDbClientConnections,
                clientEncoding, datestyle, timezone, applicationName, connectQuery, serverLifetime, loadBalanceHosts,
                targetSessionAttrs, queryWaitTimeout);
    }

    private static List<String> parseHosts(String value) {
        List<String> hosts = List.of(value.split(",", -1));
        for (String host : hosts) {
            if (host.isBlank()) {
                throw new IllegalArgumentException("empty host name in '" + value + "'");
            }
        }
        return hosts.stream().map(String::trim).toList();
    }

    private static int parsePort(String value) {
        int port = Values.parseDecimalInt(value);
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid port '" + value + "'");
        }
        return port;
    }

    /** Like the generated one, but never prints the password, since entries end up in logs. */
    @Override
    public String toString() {
        return "DatabaseConfig[name=" + name + ", hosts=" + hosts + ", port=" + port + ", dbname=" + dbname
                + ", user=" + user + ", password=" + (password == null ? null : "***") + ", authUser=" + authUser
                + ", authQuery=" + authQuery + ", authDbname=" + authDbname
                + ", poolSize=" + poolSize + ", minPoolSize=" + minPoolSize + ", reservePoolSize=" + reservePoolSize
                + ", poolMode=" + poolMode + ", maxDbConnections=" + maxDbConnections
                + ", maxDbClientConnections=" + maxDbClientConnections
                + ", clientEncoding=" + clientEncoding + ", datestyle=" + datestyle + ", timezone=" + timezone
                + ", applicationName=" + applicationName + ", connectQuery=" + connectQuery
                + ", serverLifetime=" + serverLifetime + ", loadBalanceHosts=" + loadBalanceHosts
                + ", targetSessionAttrs=" + targetSessionAttrs + ", queryWaitTimeout=" + queryWaitTimeout + "]";
    }
}

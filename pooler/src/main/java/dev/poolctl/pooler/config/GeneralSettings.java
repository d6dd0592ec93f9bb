package dev.poolctl.pooler.config;


import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code [pgbouncer]} section: one value for every {@link Setting}, validated and immutable.
 *
 * <p>Values are kept twice: in canonical text form ({@link #raw}, what SHOW CONFIG prints and what a config diff
 * compares) and parsed, for the typed accessors. Time settings are {@link Duration}s where zero means "disabled",
 * as in PgBouncer. File-name settings that are not set come back as null.
 */
public final class GeneralSettings {
    /** PgBouncer's spelling for "check with an empty query", the default of {@code server_check_query}. */
    public static final String EMPTY_QUERY = "<empty>";

    private final Map<Setting, String> raw;
    private final Map<Setting, Object> parsed;
    private final Set<String> ignoreStartupParameters;

    private GeneralSettings(Map<Setting, String> raw, Map<Setting, Object> parsed) {
        this.raw = raw;
        this.parsed = parsed;
        Set<String> ignored = new LinkedHashSet<>();
        for (String name : listValue(Setting.IGNORE_STARTUP_PARAMETERS)) {
            ignored.add(name.toLowerCase(Locale.ROOT));
        }
        this.ignoreStartupParameters = Collections.unmodifiableSet(ignored);
    }

    /** Every setting at PgBouncer's default. */
    public static GeneralSettings defaults() {
        return of(Map.of());
    }

    /**
     * Builds the settings from raw values as written in the ini file; keys that are absent get their default.
     *
     * @throws IllegalArgumentException naming the key and the bad value, e.g.
     *     {@code [pgbouncer] max_client_conn: invalid integer 'abc'}
     */
    public static GeneralSettings of(Map<Setting, String> values) {
        Map<Setting, String> raw = new EnumMap<>(Setting.class);
        Map<Setting, Object> parsed = new EnumMap<>(Setting.class);
        for (Setting setting : Setting.values()) {
            String value = values.getOrDefault(setting, setting.defaultValue());
            try {
                parsed.put(setting, setting.parse(value));
                raw.put(setting, setting.normalize(value));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("[pgbouncer] " + setting.key() + ": " + e.getMessage(), e);
            }
        }
        return new GeneralSettings(Collections.unmodifiableMap(raw), Collections.unmodifiableMap(parsed));
    }

    /**
     * A copy with one value changed, for the admin console's {@code SET key = value}.
     *
     * @throws IllegalArgumentException if the value is not valid for the key's type
     */
    public GeneralSettings with(Setting setting, String value) {
        Map<Setting, String> values = new EnumMap<>(raw);
        values.put(setting, value);
        return of(values);
    }

    /**
     * As loaded from {@code file}: {@code conffile} names it unless the file names another (the next RELOAD reads
     * that one, as PgBouncer's), and {@code start --pidfile} (non-null) replaces the ini's pidfile.
     */
    public GeneralSettings loadedFrom(java.nio.file.Path file, java.nio.file.Path pidfileOverride) {
        Map<Setting, String> values = new EnumMap<>(raw);
        if (stringValue(Setting.CONFFILE).isEmpty()) {
            values.put(Setting.CONFFILE, file.toString());
        }
        if (pidfileOverride != null) {
            values.put(Setting.PIDFILE, pidfileOverride.toString());
        }
        return of(values);
    }

    /** The file the next RELOAD reads: {@code conffile}, else {@code started} (the file given at start). */
    public java.nio.file.Path conffile(java.nio.file.Path started) {
        String f = stringValue(Setting.CONFFILE);
        return f.isEmpty() ? started : java.nio.file.Path.of(f);
    }

    /** The value in canonical form, as SHOW CONFIG prints it in its {@code value} column. */
    public String raw(Setting setting) {
        return raw.get(setting);
    }

    /** All values in canonical form, in {@link Setting} order. */
    public Map<Setting, String> rawValues() {
        return raw;
    }

    // Typed access by key, for settings without a named accessor below.

    public int intValue(Setting setting) {
        return (Integer) typed(setting, Setting.Type.INT);
    }

    public boolean boolValue(Setting setting) {
        return (Boolean) typed(setting, Setting.Type.BOOL);
    }

    public Duration durationValue(Setting setting) {
        return (Duration) typed(setting, Setting.Type.DURATION);
    }

    /** A STRING or SSL_MODE setting ("" = not set). */
    public String stringValue(Setting setting) {
        if (setting.type() == Setting.Type.SSL_MODE) {
            return (String) parsed.get(setting);
        }
        return (String) typed(setting, Setting.Type.STRING);
    }

    @SuppressWarnings("unchecked")
    public List<String> listValue(Setting setting) {
        return (List<String>) typed(setting, Setting.Type.LIST);
    }

    private Object typed(Setting setting, Setting.Type expected) {
        if (setting.type() != expected) {
            throw new IllegalArgumentException(setting.key() + " is " + setting.type() + ", not " + expected);
        }
        return parsed.get(setting);
    }

    /** Null for "" (not set). */
    private String optional(Setting setting) {
        String value = stringValue(setting);
        return value.isEmpty() ? null : value;
    }

    // Listening and process.

    /** TCP addresses to listen on ({@code *} = all); empty = Unix socket only. */
    public List<String> listenAddr() {
        return listValue(Setting.LISTEN_ADDR);
    }

    public int listenPort() {
        return intValue(Setting.LISTEN_PORT);
    }

    /** Directory of the Unix socket {@code .s.PGSQL.<port>}, also used for server hosts not given; "" = disabled. */
    public String unixSocketDir() {
        return stringValue(Setting.UNIX_SOCKET_DIR);
    }

    /** Or null. */
    public String logfile() {
        return optional(Setting.LOGFILE);
    }

    /** Or null. */
    public String pidfile() {
        return optional(Setting.PIDFILE);
    }

    public int verbose() {
        return intValue(Setting.VERBOSE);
    }

    // Authentication.

    public AuthType authType() {
        return (AuthType) typed(Setting.AUTH_TYPE, Setting.Type.AUTH_TYPE);
    }

    /** Or null. */
    public String authFile() {
        return optional(Setting.AUTH_FILE);
    }

    /** Or null. */
    public String authHbaFile() {
        return optional(Setting.AUTH_HBA_FILE);
    }

    /** Or null. */
    public String authUser() {
        return optional(Setting.AUTH_USER);
    }

    public String authQuery() {
        return stringValue(Setting.AUTH_QUERY);
    }

    /** Or null. */
    public String authDbname() {
        return optional(Setting.AUTH_DBNAME);
    }

    public List<String> adminUsers() {
        return listValue(Setting.ADMIN_USERS);
    }

    public List<String> statsUsers() {
        return listValue(Setting.STATS_USERS);
    }

    // Pools and limits.

    public PoolMode poolMode() {
        return (PoolMode) typed(Setting.POOL_MODE, Setting.Type.POOL_MODE);
    }

    /** event_loops: the number of event loops, {@code auto} resolved to the number of cores. */
    public int eventLoops() {
        int n = (Integer) parsed.get(Setting.EVENT_LOOPS);
        return n > 0 ? n : Runtime.getRuntime().availableProcessors();
    }

    /** io_method: {@code auto}, {@code io_uring}, {@code epoll} or {@code nio}. */
    public String ioMethod() {
        return stringValue(Setting.IO_METHOD);
    }

    public int maxClientConn() {
        return intValue(Setting.MAX_CLIENT_CONN);
    }

    public int defaultPoolSize() {
        return intValue(Setting.DEFAULT_POOL_SIZE);
    }

    public int minPoolSize() {
        return intValue(Setting.MIN_POOL_SIZE);
    }

    public int reservePoolSize() {
        return intValue(Setting.RESERVE_POOL_SIZE);
    }

    public Duration reservePoolTimeout() {
        return durationValue(Setting.RESERVE_POOL_TIMEOUT);
    }

    /** 0 = unlimited. */
    public int maxDbConnections() {
        return intValue(Setting.MAX_DB_CONNECTIONS);
    }

    /** 0 = unlimited. */
    public int maxUserConnections() {
        return intValue(Setting.MAX_USER_CONNECTIONS);
    }

    /** Clients per database, 0 (or less, as PgBouncer) = unlimited. */
    public int maxDbClientConnections() {
        return intValue(Setting.MAX_DB_CLIENT_CONNECTIONS);
    }

    /** Clients per user, 0 (or less, as PgBouncer) = unlimited. */
    public int maxUserClientConnections() {
        return intValue(Setting.MAX_USER_CLIENT_CONNECTIONS);
    }

    public boolean serverRoundRobin() {
        return boolValue(Setting.SERVER_ROUND_ROBIN);
    }

    /** Startup parameters accepted from clients and dropped, lower-cased. */
    public Set<String> ignoreStartupParameters() {
        return ignoreStartupParameters;
    }

    /** Extra GUCs tracked per client and re-applied on each server, beyond PgBouncer's fixed set. */
    public List<String> trackExtraParameters() {
        return listValue(Setting.TRACK_EXTRA_PARAMETERS);
    }

    public boolean applicationNameAddHost() {
        return boolValue(Setting.APPLICATION_NAME_ADD_HOST);
    }

    public int maxPreparedStatements() {
        return intValue(Setting.MAX_PREPARED_STATEMENTS);
    }

    // Server connection hygiene and timeouts (zero = disabled).

    public String serverResetQuery() {
        return stringValue(Setting.SERVER_RESET_QUERY);
    }

    public boolean serverResetQueryAlways() {
        return boolValue(Setting.SERVER_RESET_QUERY_ALWAYS);
    }

    /**
     * The query that checks a server idle longer than {@link #serverCheckDelay()} before reuse, as PgBouncer
     * spells it: {@value #EMPTY_QUERY} (the default) means send an empty Query message, "" means no check, anything
     * else is the SQL to run.
     */
    public String serverCheckQuery() {
        return stringValue(Setting.SERVER_CHECK_QUERY);
    }

    /** False when {@code server_check_query} is set to an empty value, which is how PgBouncer disables the check. */
    public boolean serverCheckEnabled() {
        return !serverCheckQuery().isEmpty();
    }

    public Duration serverCheckDelay() {
        return durationValue(Setting.SERVER_CHECK_DELAY);
    }

    public boolean serverFastClose() {
        return boolValue(Setting.SERVER_FAST_CLOSE);
    }

    public Duration serverLifetime() {
        return durationValue(Setting.SERVER_LIFETIME);
    }

    public Duration serverIdleTimeout() {
        return durationValue(Setting.SERVER_IDLE_TIMEOUT);
    }

    public Duration serverConnectTimeout() {
        return durationValue(Setting.SERVER_CONNECT_TIMEOUT);
    }

    public Duration serverLoginRetry() {
        return durationValue(Setting.SERVER_LOGIN_RETRY);
    }

    public Duration clientLoginTimeout() {
        return durationValue(Setting.CLIENT_LOGIN_TIMEOUT);
    }

    public Duration clientIdleTimeout() {
        return durationValue(Setting.CLIENT_IDLE_TIMEOUT);
    }

    public Duration queryTimeout() {
        return durationValue(Setting.QUERY_TIMEOUT);
    }

    public Duration queryWaitTimeout() {
        return durationValue(Setting.QUERY_WAIT_TIMEOUT);
    }

    public Duration idleTransactionTimeout() {
        return durationValue(Setting.IDLE_TRANSACTION_TIMEOUT);
    }

    public Duration transactionTimeout() {
        return durationValue(Setting.TRANSACTION_TIMEOUT);
    }

    public Duration cancelWaitTimeout() {
        return durationValue(Setting.CANCEL_WAIT_TIMEOUT);
    }

    public Duration suspendTimeout() {
        return durationValue(Setting.SUSPEND_TIMEOUT);
    }

    /** How long an entry created from the {@code *} database may stay unused before it is dropped. */
    public Duration autodbIdleTimeout() {
        return durationValue(Setting.AUTODB_IDLE_TIMEOUT);
    }

    // Logging and stats.

    public boolean logConnections() {
        return boolValue(Setting.LOG_CONNECTIONS);
    }

    public boolean logDisconnections() {
        return boolValue(Setting.LOG_DISCONNECTIONS);
    }

    public boolean logPoolerErrors() {
        return boolValue(Setting.LOG_POOLER_ERRORS);
    }

    public boolean logStats() {
        return boolValue(Setting.LOG_STATS);
    }

    /** {@code stats_period} is whole seconds in PgBouncer. */
    public Duration statsPeriod() {
        return Duration.ofSeconds(intValue(Setting.STATS_PERIOD));
    }

    // Network buffers and sockets.

    public int maxPacketSize() {
        return intValue(Setting.MAX_PACKET_SIZE);
    }

    public int pktBuf() {
        return intValue(Setting.PKT_BUF);
    }

    public int listenBacklog() {
        return intValue(Setting.LISTEN_BACKLOG);
    }

    public boolean tcpKeepalive() {
        return boolValue(Setting.TCP_KEEPALIVE);
    }

    public boolean soReuseport() {
        return boolValue(Setting.SO_REUSEPORT);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof GeneralSettings && raw.equals(((GeneralSettings) other).raw);
    }

    @Override
    public int hashCode() {
        return raw.hashCode();
    }

    /** Only the settings that differ from the default; passwords do not live here, so nothing is masked. */
    @Override
    public String toString() {
        StringBuilder text = new StringBuilder("GeneralSettings{");
        String separator = "";
        for (Map.Entry<Setting, String> entry : raw.entrySet()) {
            Setting setting = entry.getKey();
            if (!entry.getValue().equals(setting.normalize(setting.defaultValue()))) {
                text.append(separator).append(setting.key()).append('=').append(entry.getValue());
                separator = ", ";
            }
        }
        return text.append('}').toString();
    }
}

package dev.poolctl.pooler.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The table of {@code [pgbouncer]} keys: each key's type, default and whether a reload may change it.
 *
 * <p>This is the one place where a key is written down (PgBouncer's {@code bouncer_params[]} in {@code main.c}).
 * The loader, {@link GeneralSettings}, SHOW CONFIG and the README's settings table all come from it. Constants are
 * in PgBouncer's order, which is alphabetical and is the order SHOW CONFIG prints. Defaults are those of
 * PgBouncer's newest release, spelled as SHOW CONFIG prints them in its {@code default} column.
 *
 * <p>Every key PgBouncer knows is here, including those poolctl does not act on yet (TLS, DNS, syslog, peering),
 * so that an existing {@code pgbouncer.ini} loads unchanged.
 */
public enum Setting {
    ADMIN_USERS(Type.LIST, ""),
    APPLICATION_NAME_ADD_HOST(Type.BOOL, "0"),
    AUTH_DBNAME(Type.STRING, ""),
    AUTH_FILE(Type.STRING, ""),
    AUTH_HBA_FILE(Type.STRING, ""),
    AUTH_IDENT_FILE(Type.STRING, ""),
    AUTH_LDAP_OPTIONS(Type.STRING, ""),
    AUTH_QUERY(Type.STRING, "SELECT rolname, CASE WHEN rolvaliduntil < now() THEN NULL ELSE rolpassword END"
            + " FROM pg_authid WHERE rolname=$1 AND rolcanlogin"),
    AUTH_TYPE(Type.AUTH_TYPE, "md5"),
    AUTH_USER(Type.STRING, ""),
    AUTODB_IDLE_TIMEOUT(Type.DURATION, "3600"),
    CANCEL_WAIT_TIMEOUT(Type.DURATION, "10"),
    CLIENT_IDLE_TIMEOUT(Type.DURATION, "0"),
    CLIENT_LOGIN_TIMEOUT(Type.DURATION, "60"),
    CLIENT_TLS13_CIPHERS(Type.STRING, ""),
    CLIENT_TLS_CA_FILE(Type.STRING, ""),
    CLIENT_TLS_CERT_FILE(Type.STRING, ""),
    CLIENT_TLS_CIPHERS(Type.STRING, "default"),
    CLIENT_TLS_DHEPARAMS(Type.STRING, "auto"),
    CLIENT_TLS_ECDHCURVE(Type.STRING, "auto"),
    CLIENT_TLS_KEY_FILE(Type.STRING, ""),
    CLIENT_TLS_PROTOCOLS(Type.STRING, "secure"),
    CLIENT_TLS_SSLMODE(Type.SSL_MODE, "disable"),
    /** The config file itself; setting it makes the next RELOAD read another file. */
    CONFFILE(Type.STRING, ""),
    DEFAULT_POOL_SIZE(Type.INT, "20"),
    DISABLE_PQEXEC(Type.BOOL, "0", false),
    DNS_MAX_TTL(Type.DURATION, "15"),
    DNS_NXDOMAIN_TTL(Type.DURATION, "15"),
    DNS_ZONE_CHECK_PERIOD(Type.DURATION, "0"),
    /**
     * poolctl's own: how long a drain keeps accepting new clients on TCP (while /readyz answers 503) before it closes
     * the listener, so that a load balancer that checks /readyz, or a Kubernetes Service, stops sending first; 0 =
     * close at once. Closing a listener resets the connections the kernel has queued on it.
     */
    DRAIN_ACCEPT_GRACE(Type.DURATION, "0"),
    /** poolctl's own: the message (SQLSTATE 57P01) a client is closed with by a drain, at its transaction boundary. */
    DRAIN_MESSAGE(Type.STRING, "pooler is draining: reconnect"),
    /** poolctl's own: 1 makes SIGTERM drain (as DRAIN) rather than wait for clients to leave (PgBouncer's). */
    DRAIN_ON_SIGTERM(Type.BOOL, "0"),
    /** poolctl's own: how long a drain waits before closing the clients still in a transaction; 0 = no deadline. */
    DRAIN_TIMEOUT(Type.DURATION, "60"),
    /**
     * poolctl's own (PgBouncer has one thread): how many event loops carry the connections, {@code auto} = one per
     * core. Pools are pinned to a loop; limits stay global.
     */
    EVENT_LOOPS(Type.COUNT_OR_AUTO, "auto", false),
    /**
     * poolctl's own: the address of the HTTP listener (/metrics, /healthz, /readyz, /stats); {@code *} = all. Local
     * only by default: the answers name databases and users.
     */
    HTTP_LISTEN_ADDR(Type.STRING, "127.0.0.1", false),
    /** poolctl's own: the port of the HTTP listener; 0 (the default) = no HTTP listener. */
    HTTP_LISTEN_PORT(Type.INT, "0", false),
    IDLE_TRANSACTION_TIMEOUT(Type.DURATION, "0"),
    IGNORE_STARTUP_PARAMETERS(Type.LIST, ""),
    /**
     * poolctl's own: the kernel interface the event loops use, {@code auto} (io_uring where the kernel allows it,
     * else epoll), {@code io_uring}, {@code epoll} or {@code nio}. The name is PostgreSQL 18's for its own I/O choice.
     */
    IO_METHOD(Type.STRING, "auto", false),
    /** Windows service name; {@link #SERVICE_NAME} is its alias. */
    JOB_NAME(Type.STRING, "pgbouncer", false),
    LISTEN_ADDR(Type.LIST, "", false),
    LISTEN_BACKLOG(Type.INT, "128", false),
    LISTEN_PORT(Type.INT, "6432", false),
    LOG_CONNECTIONS(Type.BOOL, "1"),
    LOG_DISCONNECTIONS(Type.BOOL, "1"),
    LOG_POOLER_ERRORS(Type.BOOL, "1"),
    LOG_STATS(Type.BOOL, "1"),
    LOGFILE(Type.STRING, ""),
    LOGIN_NOTIFY_MESSAGE(Type.STRING, ""),
    MAX_CLIENT_CONN(Type.INT, "100"),
    MAX_DB_CLIENT_CONNECTIONS(Type.INT, "0"),
    MAX_DB_CONNECTIONS(Type.INT, "0"),
    MAX_PACKET_SIZE(Type.INT, "2147483647"),
    MAX_PREPARED_STATEMENTS(Type.INT, "200"),
    MAX_USER_CLIENT_CONNECTIONS(Type.INT, "0"),
    MAX_USER_CONNECTIONS(Type.INT, "0"),
    MIN_POOL_SIZE(Type.INT, "0"),
    PEER_ID(Type.INT, "0"),
    PIDFILE(Type.STRING, "", false),
    PKT_BUF(Type.INT, "4096", false),
    POOL_IDLE_TIMEOUT(Type.DURATION, "0"),
    POOL_MODE(Type.POOL_MODE, "session"),
    QUERY_TIMEOUT(Type.DURATION, "0"),
    QUERY_WAIT_NOTIFY(Type.DURATION, "5"),
    QUERY_WAIT_TIMEOUT(Type.DURATION, "120"),
    RESERVE_POOL_SIZE(Type.INT, "0"),
    RESERVE_POOL_TIMEOUT(Type.DURATION, "5"),
    RESOLV_CONF(Type.STRING, "", false),
    SBUF_LOOPCNT(Type.INT, "5"),
    SCRAM_ITERATIONS(Type.INT, "4096"),
    SERVER_CHECK_DELAY(Type.DURATION, "30"),
    /**
     * {@code <empty>} (the default) sends an empty query as the check; an empty value disables the check.
     * See {@link GeneralSettings#serverCheckQuery()}.
     */
    SERVER_CHECK_QUERY(Type.STRING, GeneralSettings.EMPTY_QUERY),
    SERVER_CONNECT_TIMEOUT(Type.DURATION, "15"),
    SERVER_FAST_CLOSE(Type.BOOL, "0"),
    SERVER_IDLE_TIMEOUT(Type.DURATION, "600"),
    SERVER_LIFETIME(Type.DURATION, "3600"),
    SERVER_LOGIN_RETRY(Type.DURATION, "15"),
    SERVER_RESET_QUERY(Type.STRING, "DISCARD ALL"),
    SERVER_RESET_QUERY_ALWAYS(Type.BOOL, "0"),
    SERVER_ROUND_ROBIN(Type.BOOL, "0"),
    SERVER_TLS13_CIPHERS(Type.STRING, ""),
    SERVER_TLS_CA_FILE(Type.STRING, ""),
    SERVER_TLS_CERT_FILE(Type.STRING, ""),
    SERVER_TLS_CIPHERS(Type.STRING, "default"),
    SERVER_TLS_KEY_FILE(Type.STRING, ""),
    SERVER_TLS_PROTOCOLS(Type.STRING, "secure"),
    SERVER_TLS_SSLMODE(Type.SSL_MODE, "prefer"),
    /** Windows-only alias of {@link #JOB_NAME}; accepted everywhere so a shared ini loads. */
    SERVICE_NAME(Type.STRING, "", false),
    SO_REUSEPORT(Type.BOOL, "0", false),
    /** An integer number of seconds in PgBouncer (no fractions), unlike the other time settings. */
    STATS_PERIOD(Type.INT, "60"),
    STATS_USERS(Type.LIST, ""),
    SUSPEND_TIMEOUT(Type.DURATION, "10"),
    SYSLOG(Type.BOOL, "0"),
    SYSLOG_FACILITY(Type.STRING, "daemon"),
    SYSLOG_IDENT(Type.STRING, "pgbouncer"),
    /** On/off; PgBouncer's default is 1 on Linux (where the option exists), which is where poolctl runs. */
    TCP_DEFER_ACCEPT(Type.BOOL, "1"),
    TCP_KEEPALIVE(Type.BOOL, "1"),
    /** 0 = the operating system's default, as for the other tcp_keep* keys. */
    TCP_KEEPCNT(Type.INT, "0"),
    TCP_KEEPIDLE(Type.INT, "0"),
    TCP_KEEPINTVL(Type.INT, "0"),
    TCP_SOCKET_BUFFER(Type.INT, "0"),
    /** Milliseconds, not seconds. */
    TCP_USER_TIMEOUT(Type.INT, "0"),
    TRACK_EXTRA_PARAMETERS(Type.LIST, "IntervalStyle", false),
    TRANSACTION_TIMEOUT(Type.DURATION, "0"),
    /** PgBouncer's compiled-in {@code DEFAULT_UNIX_SOCKET_DIR}; empty disables the Unix socket. */
    UNIX_SOCKET_DIR(Type.STRING, "/tmp", false),
    UNIX_SOCKET_GROUP(Type.STRING, "", false),
    /** Octal as written; SHOW CONFIG prints the value in decimal, as PgBouncer does. */
    UNIX_SOCKET_MODE(Type.INT, "0777", false),
    /** The Unix user to switch to after start (= {@code -u}). */
    USER(Type.STRING, "", false),
    VERBOSE(Type.INT, "0");

    /** How a value is written in the ini file. */
    public enum Type {
        /** C-style integer: decimal, {@code 0x} hex, or {@code 0} octal. */
        INT,
        /** {@code 0/1/yes/no/on/off/true/false}; any non-zero integer is true. */
        BOOL,
        /** Seconds as a non-negative decimal ({@code 0.5}); 0 usually means "disabled". */
        DURATION,
        /** Free text, kept as written (empty allowed). */
        STRING,
        /** Comma-separated list; empty means none. */
        LIST,
        /** {@link dev.poolctl.pooler.config.AuthType} spelling. */
        AUTH_TYPE,
        /** {@link dev.poolctl.pooler.config.PoolMode} spelling. */
        POOL_MODE,
        /** {@code disable, allow, prefer, require, verify-ca, verify-full}. */
        SSL_MODE,
        /** {@code auto} (parsed as 0) or a positive integer. */
        COUNT_OR_AUTO
    }

    private static final Map<String, Setting> BY_KEY =
            Stream.of(values()).collect(Collectors.toUnmodifiableMap(Setting::key, Function.identity()));

    private final String key;
    private final Type type;
    private final String defaultValue;
    private final boolean reloadable;

    Setting(Type type, String defaultValue) {
        this(type, defaultValue, true);
    }

    Setting(Type type, String defaultValue, boolean reloadable) {
        this.key = name().toLowerCase(Locale.ROOT);
        this.type = type;
        this.defaultValue = defaultValue;
        this.reloadable = reloadable;
    }

    /** PgBouncer's snake_case key, e.g. {@code max_client_conn}. */
    public String key() {
        return key;
    }

    public Type type() {
        return type;
    }

    /** PgBouncer's default, as SHOW CONFIG prints it in the {@code default} column ("" = not set). */
    public String defaultValue() {
        return defaultValue;
    }

    /**
     * False for PgBouncer's "no reload" keys: those are read at start only, and a RELOAD or SET that changes
     * them is ignored (SHOW CONFIG's {@code changeable = no}).
     */
    public boolean reloadable() {
        return reloadable;
    }

    /** The setting for a key, case-insensitively; empty for a key PgBouncer does not know. */
    public static Optional<Setting> fromKey(String key) {
        return Optional.ofNullable(BY_KEY.get(key.trim().toLowerCase(Locale.ROOT)));
    }

    /**
     * Checks a value against this key's type and returns it in canonical form, as SHOW CONFIG prints it:
     * integers in decimal, booleans as {@code 1}/{@code 0}, durations in seconds without trailing zeros,
     * enums in PgBouncer's spelling, text and lists trimmed but otherwise as written.
     *
     * @throws IllegalArgumentException describing the bad value, e.g. {@code invalid integer 'abc'}
     */
    public String normalize(String value) {
        Object parsed = parse(value);
        switch (type) {
            case BOOL:
                return ((Boolean) parsed) ? "1" : "0";
            case COUNT_OR_AUTO:
                return ((Integer) parsed) == 0 ? "auto" : parsed.toString();
            case DURATION:
                return Values.formatSeconds((Duration) parsed);
            case STRING:
            case LIST:
                // PgBouncer keeps text as written, and SHOW CONFIG shows it that way.
                return value.trim();
            default:
                return parsed.toString();
        }
    }

    /** The typed value: Integer, Boolean, Duration, String, List&lt;String&gt;, AuthType or PoolMode. */
    Object parse(String value) {
        switch (type) {
            case INT:
                return Values.parseCInt(value);
            case BOOL:
                return Values.parseBool(value);
            case DURATION:
                return Values.parseSeconds(value);
            case LIST:
                return Values.parseList(value);
            case AUTH_TYPE:
                return AuthType.parse(value);
            case POOL_MODE:
                return Values.parsePoolMode(value);
            case SSL_MODE:
                return Values.parseSslMode(value);
            case COUNT_OR_AUTO:
                return Values.parseCountOrAuto(value);
            case STRING:
            default:
                return value.trim();
        }
    }
}

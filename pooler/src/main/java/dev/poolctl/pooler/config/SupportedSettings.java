package dev.poolctl.pooler.config;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What this version of poolctl can run with and what it acts on. The one rule for every way a setting arrives:
 * the ini at start and reload, {@code poolctl config check}, and the console's {@code SET}.
 */
public final class SupportedSettings {
    private static final Set<AuthType> AUTH_TYPES =
            EnumSet.of(AuthType.TRUST, AuthType.ANY, AuthType.PLAIN, AuthType.MD5, AuthType.SCRAM_SHA_256, AuthType.HBA,
                    AuthType.CERT, AuthType.LDAP);

    /** The [pgbouncer] settings this version applies; the rest are read, validated and reported when set. */
    private static final Set<Setting> APPLIED = EnumSet.of(
            Setting.LISTEN_ADDR, Setting.LISTEN_PORT, Setting.UNIX_SOCKET_DIR, Setting.UNIX_SOCKET_MODE,
            Setting.UNIX_SOCKET_GROUP, Setting.AUTH_TYPE, Setting.AUTH_FILE, Setting.AUTH_HBA_FILE, Setting.AUTH_IDENT_FILE,
            Setting.POOL_MODE, Setting.MAX_CLIENT_CONN, Setting.DEFAULT_POOL_SIZE, Setting.MIN_POOL_SIZE,
            Setting.RESERVE_POOL_SIZE, Setting.RESERVE_POOL_TIMEOUT, Setting.MAX_DB_CONNECTIONS,
            Setting.MAX_USER_CONNECTIONS, Setting.MAX_DB_CLIENT_CONNECTIONS, Setting.MAX_USER_CLIENT_CONNECTIONS,
            Setting.SERVER_RESET_QUERY, Setting.SERVER_RESET_QUERY_ALWAYS,
            Setting.SERVER_CHECK_QUERY, Setting.SERVER_CHECK_DELAY, Setting.SERVER_LIFETIME,
            Setting.SERVER_IDLE_TIMEOUT, Setting.SERVER_CONNECT_TIMEOUT, Setting.SERVER_LOGIN_RETRY,
            Setting.CLIENT_LOGIN_TIMEOUT, Setting.CLIENT_IDLE_TIMEOUT, Setting.QUERY_TIMEOUT,
            Setting.QUERY_WAIT_TIMEOUT, Setting.IDLE_TRANSACTION_TIMEOUT, Setting.TRANSACTION_TIMEOUT,
            Setting.IGNORE_STARTUP_PARAMETERS,
            Setting.LOG_CONNECTIONS, Setting.LOG_DISCONNECTIONS, Setting.LOG_POOLER_ERRORS, Setting.LOGFILE,
            Setting.PIDFILE, Setting.MAX_PACKET_SIZE, Setting.TCP_KEEPALIVE, Setting.TCP_KEEPCNT,
            Setting.TCP_KEEPIDLE, Setting.TCP_KEEPINTVL, Setting.TRACK_EXTRA_PARAMETERS,
            Setting.SERVER_ROUND_ROBIN, Setting.VERBOSE, Setting.STATS_PERIOD, Setting.LOG_STATS, Setting.ADMIN_USERS,
            Setting.STATS_USERS, Setting.CLIENT_TLS_SSLMODE, Setting.SERVER_TLS_SSLMODE,
            Setting.CLIENT_TLS_KEY_FILE, Setting.CLIENT_TLS_CERT_FILE, Setting.CLIENT_TLS_CA_FILE,
            Setting.CLIENT_TLS_PROTOCOLS, Setting.CLIENT_TLS_CIPHERS, Setting.SERVER_TLS_KEY_FILE,
            Setting.SERVER_TLS_CERT_FILE, Setting.SERVER_TLS_CA_FILE, Setting.SERVER_TLS_PROTOCOLS,
            Setting.SERVER_TLS_CIPHERS, Setting.CLIENT_TLS13_CIPHERS, Setting.SERVER_TLS13_CIPHERS,
            Setting.MAX_PREPARED_STATEMENTS, Setting.DNS_MAX_TTL, Setting.DNS_NXDOMAIN_TTL,
            Setting.CANCEL_WAIT_TIMEOUT, Setting.AUTODB_IDLE_TIMEOUT, Setting.EVENT_LOOPS, Setting.IO_METHOD, Setting.AUTH_USER,
            Setting.AUTH_QUERY, Setting.AUTH_DBNAME, Setting.DRAIN_ACCEPT_GRACE, Setting.DRAIN_MESSAGE, Setting.DRAIN_ON_SIGTERM,
            Setting.DRAIN_TIMEOUT, Setting.PEER_ID, Setting.SO_REUSEPORT, Setting.HTTP_LISTEN_ADDR,
            Setting.HTTP_LISTEN_PORT,
            // socket options (net.TcpOptions, Listeners)
            Setting.LISTEN_BACKLOG, Setting.TCP_USER_TIMEOUT, Setting.TCP_SOCKET_BUFFER, Setting.TCP_DEFER_ACCEPT,
            Setting.DISABLE_PQEXEC, Setting.APPLICATION_NAME_ADD_HOST, Setting.SERVER_FAST_CLOSE,
            Setting.SCRAM_ITERATIONS, Setting.QUERY_WAIT_NOTIFY, Setting.CONFFILE, Setting.SYSLOG,
            Setting.SYSLOG_IDENT, Setting.SYSLOG_FACILITY, Setting.SUSPEND_TIMEOUT,
            Setting.LOGIN_NOTIFY_MESSAGE, Setting.POOL_IDLE_TIMEOUT, Setting.AUTH_LDAP_OPTIONS);

    /** io_method's values, {@code auto} first. */
    public static final List<String> IO_METHODS = List.of("auto", "io_uring", "epoll", "nio");

    private SupportedSettings() {}

    /**
     * Refuses what this version cannot run with: an auth_type it does not implement, or a TLS mode whose key,
     * certificate or CA file is not set.
     *
     * @throws IllegalArgumentException naming the setting and value, e.g. {@code auth_type: 'hba' is not supported yet}
     */
    public static void check(GeneralSettings general) {
        AuthType auth = general.authType();
        if (!AUTH_TYPES.contains(auth)) {
            throw new IllegalArgumentException("auth_type: '" + auth + "' is not supported yet");
        }
        if (auth == AuthType.LDAP) {
            // PgBouncer starts and fails every login ("auth_ldap_options is null"); an operator would rather know now.
            try {
                LdapOptions.parse(general.raw(Setting.AUTH_LDAP_OPTIONS));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("auth_ldap_options: " + e.getMessage() + " (auth_type = ldap needs"
                        + " them, e.g. ldapurl=\"ldap://ldap.example.net/dc=example,dc=net?uid?sub\")");
            }
        }
        if (!IO_METHODS.contains(general.ioMethod())) {
            throw new IllegalArgumentException("io_method: '" + general.ioMethod() + "' is not one of " + IO_METHODS);
        }
        int httpPort = general.intValue(Setting.HTTP_LISTEN_PORT);
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("http_listen_port: " + httpPort + " is not a port (0 = no HTTP listener)");
        }
        // Refused rather than read as every address (or as none, PgBouncer's empty listen_addr): the answers name
        // databases and users, so every address has to be asked for with *.
        if (general.stringValue(Setting.HTTP_LISTEN_ADDR).isBlank()) {
            throw new IllegalArgumentException("http_listen_addr: empty; give an address, or * for every address");
        }
        if (AuthQuerySource.ADMIN_DATABASE.equals(general.authDbname())) {
            throw new IllegalArgumentException("auth_dbname: " + AuthQuerySource.reservedDatabase());
        }
        // Every sslmode runs; one that needs files which are not set is refused here, naming the key (whether the
        // files can be read and used is checked where the contexts are built, off the event loop).
        TlsSettings.client(general);
        TlsSettings.server(general);
    }

    /**
     * The settings set to a non-default value that this version reads and validates but does not act on yet (not
     * those that can have no effect in poolctl: {@link #noEffect}).
     */
    public static List<Setting> notApplied(GeneralSettings general) {
        List<Setting> ignored = new ArrayList<>();
        for (Setting setting : Setting.values()) {
            if (!isApplied(setting, general.raw(setting)) && !hasNoEffect(setting)) {
                ignored.add(setting);
            }
        }
        return ignored;
    }

    /** The settings set to a non-default value that can have no effect in poolctl ({@link #explain} says why). */
    public static List<Setting> noEffect(GeneralSettings general) {
        return java.util.Arrays.stream(Setting.values())
                .filter(s -> hasNoEffect(s) && !isApplied(s, general.raw(s))).toList();
    }

    /**
     * PgBouncer settings that cannot mean anything in a JVM pooler, and why: set to another value they are warned
     * about with the reason (README's differences table), not as settings this version has yet to apply.
     */
    private static final Map<Setting, String> NO_EFFECT = Map.of(
            Setting.PKT_BUF, "Netty sizes each socket's buffers itself (max_packet_size bounds a message)",
            Setting.SBUF_LOOPCNT, "each event loop serves every ready socket in turn; a client that sends much is"
                    + " paused by its buffer limit instead",
            Setting.SERVICE_NAME, "it names a Windows service",
            Setting.JOB_NAME, "it names a Windows service",
            Setting.USER, "a JVM cannot change its user after start; start poolctl as that user (systemd User=)",
            Setting.DNS_ZONE_CHECK_PERIOD, "host names are resolved by the system resolver, which has no zone"
                    + " serials to poll",
            Setting.RESOLV_CONF, "host names are resolved by the system resolver, which reads /etc/resolv.conf",
            Setting.CLIENT_TLS_DHEPARAMS, "TLS key exchange uses the TLS library's elliptic-curve groups; there are"
                    + " no finite-field DH parameters to choose",
            Setting.CLIENT_TLS_ECDHCURVE, "the TLS library offers its own curves (X25519, P-256, P-384); Java 17 has"
                    + " no per-context choice");

    /** How a warning about {@code setting} set to a non-default value ends: why it does nothing. */
    public static String explain(Setting setting) {
        String reason = NO_EFFECT.get(setting);
        return reason == null ? "is read but not applied by this version of poolctl"
                : "has no effect in poolctl: " + reason;
    }

    /** Whether a non-default value of {@code setting} can never act in poolctl ({@link #explain} says why). */
    public static boolean hasNoEffect(Setting setting) {
        return NO_EFFECT.containsKey(setting);
    }

    /** False for a non-default value of a setting this version does not act on. */
    public static boolean isApplied(Setting setting, String canonicalValue) {
        return APPLIED.contains(setting) || canonicalValue == null
                || canonicalValue.equals(setting.normalize(setting.defaultValue()));
    }
}

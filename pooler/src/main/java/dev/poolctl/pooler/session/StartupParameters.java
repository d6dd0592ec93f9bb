package dev.poolctl.pooler.session;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.Replication;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The parameters of a StartupMessage taken as PgBouncer takes them (client.c decide_startup_pool): tracked
 * parameters are carried to servers, {@code options} is read for {@code -c name=value} settings, {@code _pq_.}
 * protocol options are collected for NegotiateProtocolVersion, listed ignore_startup_parameters are skipped and
 * anything else refuses the login. {@code replication} makes a replication client, whose {@code options} go to its
 * own server verbatim.
 */
final class StartupParameters {
    /** The {@code _pq_.} options the client asked for; the pooler knows none of them. */
    final List<String> unrecognizedProtocolOptions = new ArrayList<>();
    /** PgBouncer's error for the first parameter it would not take; null when all are fine. */
    String error;

    private StartupParameters() {}

    static StartupParameters read(Map<String, String> parameters, ClientSettings settings, PoolManager manager) {
        StartupParameters result = new StartupParameters();
        GeneralSettings general = manager.config().general();
        // First, as PgBouncer's decide_startup_pool: a replication client's options are taken whole, unparsed.
        Replication replication = Replication.parse(parameters.getOrDefault("replication", "no"));
        if (replication != Replication.NONE) {
            settings.replication(replication, parameters.get("options"));
        }
        for (Map.Entry<String, String> p : parameters.entrySet()) {
            String name = p.getKey().toLowerCase(Locale.ROOT);
            if (name.equals("user") || name.equals("database") || p.getKey().equals("replication")
                    || (name.equals("options") && replication != Replication.NONE)) {
                continue;
            }
            if (p.getKey().startsWith("_pq_.")) {
                // Protocol options (PostgreSQL 14+): refused by name in NegotiateProtocolVersion, never an error.
                result.unrecognizedProtocolOptions.add(p.getKey());
            } else if (name.equals("options")) {
                result.error = options(p.getValue(), settings, manager, general);
            } else if (manager.isTrackedParameter(name)) {
                settings.put(name, p.getValue());
            } else if (!general.ignoreStartupParameters().contains(name)) {
                result.error = "unsupported startup parameter: " + p.getKey();
            }
            if (result.error != null) {
                break;
            }
        }
        return result;
    }

    /**
     * {@code -c name=value} settings in the options startup parameter: tracked ones are carried like startup
     * parameters, others are refused unless in ignore_startup_parameters (by name, or all of them when
     * {@code options} is listed there). Returns the error, or null.
     */
    private static String options(String options, ClientSettings settings, PoolManager manager, GeneralSettings general) {
        List<String[]> parsed;
        try {
            parsed = StartupOptions.parse(options);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        for (String[] setting : parsed) {
            String name = setting[0].toLowerCase(Locale.ROOT);
            if (manager.isTrackedParameter(name)) {
                settings.put(name, setting[1]);
            } else if (!general.ignoreStartupParameters().contains(name)
                    && !general.ignoreStartupParameters().contains("options")) {
                return "unsupported startup parameter in options: " + setting[0];
            }
        }
        return null;
    }

    /**
     * application_name_add_host: the client's address and port appended to the application_name it logged in with
     * ({@code app} when none), as PgBouncer's set_appname: {@code psql - 10.0.0.7:51234}, {@code [::1]:51234} for
     * IPv6, {@code unix:6432} over the unix socket (PgBouncer adds the peer's pid and host name there). Only at
     * login: a later SET is the client's.
     */
    static void addHost(ClientSettings settings, java.net.SocketAddress remote, GeneralSettings general) {
        if (!general.boolValue(dev.poolctl.pooler.config.Setting.APPLICATION_NAME_ADD_HOST)) {
            return;
        }
        String app = settings.get("application_name");
        String details;
        if (remote instanceof java.net.InetSocketAddress inet) {
            String ip = inet.getAddress().getHostAddress();
            details = (inet.getAddress() instanceof java.net.Inet6Address ? "[" + ip + "]" : ip) + ":" + inet.getPort();
        } else {
            details = "unix:" + general.listenPort();
        }
        settings.put("application_name", (app == null ? "app" : app) + " - " + details);
    }
}

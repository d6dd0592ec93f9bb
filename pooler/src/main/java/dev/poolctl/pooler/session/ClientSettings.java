package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.Replication;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A client's session settings, carried to every server it is given (PgBouncer's varcache, extended): every
 * parameter the servers report with ParameterStatus, plus the tracked ones ({@code track_extra_parameters},
 * search_path) that a server may not report. A reported parameter's value is what the server last reported to
 * this client; an unreported one's is read back from the server at the end of a transaction that may have
 * changed it ({@link #markReadbackNeeded}). Names are lower-case.
 */
final class ClientSettings {
    /** Reported parameters that are facts about the server or the login, not settings a client can carry. */
    static final Set<String> NOT_SETTABLE = Set.of("server_version", "server_encoding", "integer_datetimes",
            "is_superuser", "in_hot_standby", "session_authorization");

    /**
     * Snapshots shared by the clients that have the same settings (every client of one application, typically):
     * an idle client then holds no map of its own. Cleared when it grows past {@link #SHARED_LIMIT}, so clients
     * that each set a different value (application_name per process) cannot grow it; they then keep their own.
     * Concurrent: clients of different event loops share it.
     */
    private static final ConcurrentHashMap<Map<String, String>, Map<String, String>> SHARED = new ConcurrentHashMap<>();
    private static final int SHARED_LIMIT = 1000;

    /**
     * The values: the shared {@link #snapshot} (never changed) until a value changes, then a private copy
     * ({@link #ownsValues}) until the next snapshot.
     */
    private Map<String, String> values = Map.of();
    private boolean ownsValues;
    /** The settings when last asked, shared and immutable; null after a change: servers compare it at link. */
    private Map<String, String> snapshot = Map.of();
    private boolean readbackNeeded;
    /** What the StartupMessage asked with {@code replication=}, and its {@code options} kept verbatim then. */
    private Replication replication = Replication.NONE;
    private String replicationOptions;

    String get(String name) {
        return values.get(name);
    }

    void put(String name, String value) {
        if (value.equals(values.get(name))) {
            return;
        }
        if (!ownsValues) {
            values = new HashMap<>(values); // copy on write: the snapshot may be other clients' too
            ownsValues = true;
        }
        values.put(name, value);
        snapshot = null;
    }

    /** The settings as they are now; the same object until one changes (and the same for equal settings). */
    Map<String, String> snapshot() {
        if (snapshot == null) {
            snapshot = shared(Map.copyOf(values));
            values = snapshot; // the private copy goes: read from the snapshot until the next change
            ownsValues = false;
        }
        return snapshot;
    }

    private static Map<String, String> shared(Map<String, String> settings) {
        if (SHARED.size() > SHARED_LIMIT) {
            SHARED.clear();
        }
        Map<String, String> known = SHARED.putIfAbsent(settings, settings);
        return known != null ? known : settings;
    }

    Replication replication() {
        return replication;
    }

    /**
     * A replication client: its {@code options} go to its own server as they are, so any setting works there
     * (PgBouncer's set_startup_options: CREATE SUBSCRIPTION sends extra_float_digits that way).
     */
    void replication(Replication type, String options) {
        replication = type;
        replicationOptions = options;
    }

    /** A replication client's server's own startup parameters (PgBouncer's varcache_apply_startup and options). */
    Map<String, String> replicationStartup() {
        Map<String, String> startup = new java.util.LinkedHashMap<>();
        startup.put("replication", replication.startupValue());
        startup.putAll(values);
        if (replicationOptions != null) {
            startup.put("options", replicationOptions);
        }
        return startup;
    }

    /** A statement may have changed an unreported tracked parameter: ask the server when the transaction ends. */
    void markReadbackNeeded() {
        readbackNeeded = true;
    }

    boolean readbackNeeded() {
        return readbackNeeded;
    }

    /** Whether the client's value of {@code name} goes to each server: tracked, or reported and settable. */
    static boolean carried(String name, PoolManager manager, Pool pool) {
        return manager.isTrackedParameter(name) || (pool.welcome().isReported(name) && !NOT_SETTABLE.contains(name));
    }

    /** Tracked parameters the servers of {@code pool} do not report (search_path before PostgreSQL 18). */
    static List<String> unreported(PoolManager manager, Pool pool) {
        List<String> names = new ArrayList<>();
        for (String name : manager.trackedParameters()) {
            if (!pool.welcome().isReported(name)) {
                names.add(name);
            }
        }
        return names;
    }

    /**
     * The query that makes a server's settings this client's, or null when they match. {@code server} holds what
     * the pooler knows of the server's values (its reports, and the unreported values it set or read back); it
     * is updated for the unreported ones, whose change the server will not report.
     *
     * <p>A setting the client never made gets the pool's default: the first server's report, or for an unreported
     * parameter a {@code RESET} when the server is known to have another value (RESET gives the value a fresh
     * session has: postgresql.conf, ALTER ROLE/DATABASE SET).
     */
    String applyQuery(Map<String, String> server, PoolManager manager, Pool pool) {
        // Runs at every link (every transaction in transaction mode): no collection is built.
        Apply apply = null;
        for (String name : manager.trackedParameters()) {
            apply = apply(name, server, pool, apply);
        }
        for (String name : pool.welcome().reportedParameters()) {
            if (!manager.isTrackedParameter(name)) {
                apply = apply(name, server, pool, apply);
            }
        }
        return apply == null ? null : apply.sql();
    }

    /** The RESETs and set_config() calls of one {@link #applyQuery}; created only when there is one. */
    private static final class Apply {
        final StringBuilder resets = new StringBuilder();
        final StringBuilder sets = new StringBuilder();

        String sql() {
            return sets.length() == 0 ? resets.toString() : resets + "SELECT " + sets;
        }
    }

    private Apply apply(String name, Map<String, String> server, Pool pool, Apply apply) {
        if (NOT_SETTABLE.contains(name)) {
            return apply;
        }
        boolean reported = pool.welcome().isReported(name);
        String wanted = values.get(name);
        if (wanted == null && reported) {
            wanted = pool.welcome().defaultParameter(name);
        }
        if (wanted == null) {
            if (server.remove(name) != null) {
                apply = apply == null ? new Apply() : apply;
                apply.resets.append("RESET ").append(quoteIdent(name)).append(';');
            }
        } else if (!wanted.equals(server.get(name))) {
            apply = apply == null ? new Apply() : apply;
            apply.sets.append(apply.sets.length() == 0 ? "" : ", ").append("pg_catalog.set_config(")
                    .append(quoteLiteral(name)).append(", ").append(quoteLiteral(wanted)).append(", false)");
            if (!reported) {
                server.put(name, wanted);
            }
        }
        return apply;
    }

    /** The query that reads back {@code names}: one row, one column each (NULL for an unknown custom name). */
    static String readbackQuery(List<String> names) {
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < names.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append("pg_catalog.current_setting(").append(quoteLiteral(names.get(i)))
                    .append(", true)");
        }
        return sql.toString();
    }

    /** The read-back values of {@code names} (null where the server has none). */
    void readBack(List<String> names, String[] row) {
        readbackNeeded = false;
        for (int i = 0; i < names.size() && row != null && i < row.length; i++) {
            if (row[i] != null) {
                put(names.get(i), row[i]);
            }
        }
    }

    /** A literal that means the same whatever standard_conforming_strings is: E'...' with \ and ' escaped. */
    static String quoteLiteral(String s) {
        return "E'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    private static String quoteIdent(String s) {
        return "\"" + s.replace("\"", "\"\"") + "\"";
    }
}

package dev.poolctl.pooler.config;


import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One loaded configuration: an immutable snapshot. A reload builds a new one rather than changing this.
 *
 * <p>The methods below give the effective value of a setting that can be set at several levels: the one place
 * pools, limits and SHOW read them from. The order is PgBouncer's (objects.c / server.c): a {@code [users]} entry
 * beats a {@code [databases]} entry, which beats {@code [pgbouncer]}; a per-entry {@code max_db_connections} or
 * {@code max_user_connections} of 0 means "the global limit", not "unlimited".
 *
 * @param file the main ini file it was loaded from
 * @param general the {@code [pgbouncer]} section
 * @param databases {@code [databases]} entries by name, in file order, including the {@code *} entry if any
 * @param users {@code [users]} entries by name, in file order
 * @param peers {@code [peers]} entries by peer_id, in file order
 */
public record PoolerConfig(
        Path file,
        GeneralSettings general,
        Map<String, DatabaseConfig> databases,
        Map<String, UserConfig> users,
        Map<Integer, PeerConfig> peers) {

    public PoolerConfig {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(general, "general");
        databases = Collections.unmodifiableMap(new LinkedHashMap<>(databases));
        users = Collections.unmodifiableMap(new LinkedHashMap<>(users));
        peers = Collections.unmodifiableMap(new LinkedHashMap<>(peers));
    }

    /** The same databases, users and peers with other {@code [pgbouncer]} settings (SET, start --pidfile). */
    public PoolerConfig withGeneral(GeneralSettings other) {
        return new PoolerConfig(file, other, databases, users, peers);
    }

    /** Without {@code [peers]}. */
    public PoolerConfig(Path file, GeneralSettings general, Map<String, DatabaseConfig> databases,
                        Map<String, UserConfig> users) {
        this(file, general, databases, users, Map.of());
    }

    /**
     * The entry for a database a client asks for: its own entry, else one made from the {@code *} entry (see
     * {@link DatabaseConfig#forClientDatabase}), else empty (PgBouncer answers "no such database").
     */
    public Optional<DatabaseConfig> database(String clientDb) {
        DatabaseConfig exact = databases.get(clientDb);
        if (exact != null) {
            return Optional.of(exact);
        }
        DatabaseConfig fallback = databases.get(DatabaseConfig.FALLBACK_NAME);
        return Optional.ofNullable(fallback).map(db -> db.forClientDatabase(clientDb));
    }

    public Optional<UserConfig> user(String name) {
        return Optional.ofNullable(users.get(name));
    }

    /** Pool size for the database's pools when no user entry applies: database, then {@code default_pool_size}. */
    public int poolSize(DatabaseConfig db) {
        return db.poolSize() != null ? db.poolSize() : general.defaultPoolSize();
    }

    /**
     * Pool size of the pool (db, user): user entry, then database entry, then {@code default_pool_size}.
     *
     * @param user the user the pool logs in as (the forced user when the database has one)
     */
    public int poolSize(DatabaseConfig db, String user) {
        Integer fromUser = user(user).map(UserConfig::poolSize).orElse(null);
        return fromUser != null ? fromUser : poolSize(db);
    }

    /** Reserve pool size of the pool (db, user): user entry, then database entry, then {@code reserve_pool_size}. */
    public int reservePoolSize(DatabaseConfig db, String user) {
        Integer fromUser = user(user).map(UserConfig::reservePoolSize).orElse(null);
        return fromUser != null ? fromUser : reservePoolSize(db);
    }

    /** Reserve pool size of the database's pools when no user entry applies (SHOW DATABASES). */
    public int reservePoolSize(DatabaseConfig db) {
        return db.reservePoolSize() != null ? db.reservePoolSize() : general.reservePoolSize();
    }

    /** Database entry, then {@code min_pool_size}. */
    /** Databases with a forced user and min_pool_size: their pools are kept open without clients (PgBouncer). */
    public java.util.List<DatabaseConfig> keptWarm() {
        return databases().values().stream()
                .filter(db -> !db.isFallback() && db.user() != null && minPoolSize(db) > 0).toList();
    }

    public int minPoolSize(DatabaseConfig db) {
        return db.minPoolSize() != null ? db.minPoolSize() : general.minPoolSize();
    }

    /** Pool mode of the pool (db, user): user entry, then database entry, then {@code pool_mode}. */
    public PoolMode poolMode(DatabaseConfig db, String user) {
        PoolMode fromUser = user(user).map(UserConfig::poolMode).orElse(null);
        if (fromUser != null) {
            return fromUser;
        }
        return db.poolMode() != null ? db.poolMode() : general.poolMode();
    }

    /** Server connections allowed to the database over all its pools; 0 = unlimited. */
    public int maxDbConnections(DatabaseConfig db) {
        return db.maxDbConnections() != null && db.maxDbConnections() > 0
                ? db.maxDbConnections() : general.maxDbConnections();
    }

    /** Server connections allowed for the user over all its pools; 0 = unlimited. */
    public int maxUserConnections(String user) {
        Integer fromUser = user(user).map(UserConfig::maxUserConnections).orElse(null);
        return fromUser != null && fromUser > 0 ? fromUser : general.maxUserConnections();
    }

    /**
     * Clients allowed for the database (PgBouncer's database_max_client_connections, server.c): the entry's
     * {@code max_db_client_connections} when above 0, else the general one; 0 = unlimited.
     */
    public int maxDbClientConnections(DatabaseConfig db) {
        Integer own = db.maxDbClientConnections();
        return own != null && own > 0 ? own : general.maxDbClientConnections();
    }

    /**
     * Clients allowed for the user (PgBouncer's user_client_max_connections, server.c): its [users]
     * {@code max_user_client_connections} when above 0, else the general one; 0 = unlimited.
     */
    public int maxUserClientConnections(String user) {
        Integer own = user(user).map(UserConfig::maxUserClientConnections).orElse(null);
        return own != null && own > 0 ? own : general.maxUserClientConnections();
    }

    /**
     * Database entry, then {@code server_lifetime} (also for an entry of 0, as in PgBouncer); zero = each server is
     * used once (PgBouncer's doc: "the connection is to be used only once, then closed").
     */
    public Duration serverLifetime(DatabaseConfig db) {
        Duration own = db.serverLifetime();
        return own != null && !own.isZero() ? own : general.serverLifetime();
    }

    // Timeouts a [users] entry overrides. PgBouncer 1.25 (janitor.c) takes the user's value only when above 0: a
    // user cannot switch off a global timeout, and a user without the key gets the global one.

    /** query_timeout of a pool's server: its user's entry, then {@code [pgbouncer]}. */
    public Duration queryTimeout(String user) {
        UserConfig u = users.get(user);
        return positiveOr(u == null ? null : u.queryTimeout(), general.queryTimeout());
    }

    /** idle_transaction_timeout of a pool's server: its user's entry, then {@code [pgbouncer]}. */
    public Duration idleTransactionTimeout(String user) {
        UserConfig u = users.get(user);
        return positiveOr(u == null ? null : u.idleTransactionTimeout(), general.idleTransactionTimeout());
    }

    /** transaction_timeout of a pool's server: its user's entry, then {@code [pgbouncer]}. */
    public Duration transactionTimeout(String user) {
        UserConfig u = users.get(user);
        return positiveOr(u == null ? null : u.transactionTimeout(), general.transactionTimeout());
    }

    /** client_idle_timeout of a client: the entry of the user it logged in as, then {@code [pgbouncer]}. */
    public Duration clientIdleTimeout(String user) {
        UserConfig u = users.get(user);
        return positiveOr(u == null ? null : u.clientIdleTimeout(), general.clientIdleTimeout());
    }

    /**
     * query_wait_timeout of a client (PgBouncer 1.26): the entry of the user it logged in as, then its database's
     * entry, then {@code [pgbouncer]}. Unlike the others, a 0 that is set counts: no wait limit.
     */
    public Duration queryWaitTimeout(DatabaseConfig db, String user) {
        UserConfig u = users.get(user);
        if (u != null && u.queryWaitTimeout() != null) {
            return u.queryWaitTimeout();
        }
        return db.queryWaitTimeout() != null ? db.queryWaitTimeout() : general.queryWaitTimeout();
    }

    /** Whether a {@code [users]} entry sets client_idle_timeout (PgBouncer's any_user_level_client_timeout_set). */
    public boolean anyUserClientIdleTimeout() {
        return users.values().stream().anyMatch(u -> u.clientIdleTimeout() != null && !u.clientIdleTimeout().isZero());
    }

    private static Duration positiveOr(Duration own, Duration general) {
        return own != null && !own.isZero() && !own.isNegative() ? own : general;
    }

    /** Database entry, then the general {@code auth_user}; or null. */
    public String authUser(DatabaseConfig db) {
        return db.authUser() != null ? db.authUser() : general.authUser();
    }

    /**
     * {@code next} with the running value of every key PgBouncer marks changeable=no (listen_port,
     * unix_socket_dir, ...): a reload keeps those, and each change is reported to {@code warn} so it is not
     * silently lost.
     */
    public PoolerConfig keepRestartOnlySettings(PoolerConfig next, java.util.function.Consumer<String> warn) {
        GeneralSettings kept = next.general();
        for (Setting s : Setting.values()) {
            String running = general.raw(s);
            String wanted = kept.raw(s);
            if (!s.reloadable() && !Objects.equals(running, wanted)) {
                warn.accept("cannot change " + s.key() + " from '" + running + "' to '" + wanted
                        + "' without a restart; keeping '" + running + "'");
                kept = kept.with(s, running == null ? "" : running);
            }
        }
        return kept == next.general() ? next : next.withGeneral(kept);
    }
}

package dev.poolctl.pooler.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Where the password of a user that auth_file does not list comes from (PgBouncer's auth_user, auth_query and
 * auth_dbname): the query, the user it runs as and the database whose pool runs it, for the database a client
 * asked for. PgBouncer's order: the database entry's {@code auth_user}/{@code auth_query}/{@code auth_dbname},
 * then the {@code [pgbouncer]} values; without an auth_dbname the query runs in the client's own database.
 *
 * @param database the entry of the database the query runs in (an auto-database made from {@code *} included)
 * @param user the auth_user the query runs as: the pool (database, user) gives it a server
 * @param query the auth_query; {@code $1} is the login name, sent as a parameter, never spliced into the SQL
 */
public record AuthQuerySource(DatabaseConfig database, String user, String query) {
    /** The console's virtual database: it has no server, so it can never run an auth_query. */
    public static final String ADMIN_DATABASE = "pgbouncer";

    /**
     * What a login needs: {@code source} to run, or {@code error} (a configuration mistake: logged, and the client
     * gets PgBouncer's "bouncer config error"), or neither (no auth_user applies: auth_file alone decides).
     */
    public record Resolution(AuthQuerySource source, String error) {
        static final Resolution NONE = new Resolution(null, null);

        public boolean applies() {
            return source != null || error != null;
        }
    }

    /**
     * The source for a client of {@code clientDb} ({@code db}: its entry, empty for the console database). A database
     * that does not exist runs no query: the client gets mock authentication, as in PgBouncer.
     */
    public static Resolution resolve(PoolerConfig config, String clientDb, Optional<DatabaseConfig> db) {
        boolean admin = ADMIN_DATABASE.equals(clientDb);
        if (!admin && db.isEmpty()) {
            return Resolution.NONE;
        }
        DatabaseConfig own = db.orElse(null);
        GeneralSettings general = config.general();
        String user = own != null ? config.authUser(own) : general.authUser();
        if (user == null) {
            return Resolution.NONE;
        }
        String authDbname = own != null && own.authDbname() != null ? own.authDbname() : general.authDbname();
        String query = own != null && own.authQuery() != null ? own.authQuery() : general.authQuery();
        if (authDbname == null) {
            authDbname = clientDb;
        }
        if (ADMIN_DATABASE.equals(authDbname)) {
            return new Resolution(null, reservedDatabase());
        }
        Optional<DatabaseConfig> authDb = authDbname.equals(clientDb) ? db : config.database(authDbname);
        if (authDb.isEmpty()) {
            return new Resolution(null, notConfigured(authDbname));
        }
        return new Resolution(new AuthQuerySource(authDb.get(), user, query), null);
    }

    /** PgBouncer's words for an auth_dbname naming the console database. */
    public static String reservedDatabase() {
        return "cannot use the reserved \"" + ADMIN_DATABASE + "\" database as an auth_dbname";
    }

    /** A configuration whose auth_dbname cannot work: {@code database} is the entry, null for [pgbouncer]. */
    public record Warning(String database, String message) {
        /** As the log and {@code config check} print it. */
        public String text() {
            return (database == null ? "[pgbouncer] " : "[databases] " + database + ": ") + message;
        }
    }

    /** What {@code config check} and the log say about auth_dbname values that cannot work. */
    public static List<Warning> warnings(PoolerConfig config) {
        List<Warning> found = new ArrayList<>();
        String global = config.general().authDbname();
        if (global != null && !ADMIN_DATABASE.equals(global) && config.database(global).isEmpty()) {
            found.add(new Warning(null, notConfigured(global)));
        }
        for (DatabaseConfig db : config.databases().values()) {
            String name = db.authDbname();
            if (ADMIN_DATABASE.equals(name)) {
                // Not PgBouncer's words: those are logged once per login that fails, and tools count them.
                found.add(new Warning(db.name(), "auth_dbname names the console's database \"" + ADMIN_DATABASE
                        + "\", which has no server: its logins that need auth_query will fail"));
            } else if (name != null && config.database(name).isEmpty()) {
                found.add(new Warning(db.name(), notConfigured(name)));
            }
        }
        return found;
    }

    private static String notConfigured(String authDbname) {
        return "authentication database \"" + authDbname + "\" is not configured";
    }
}

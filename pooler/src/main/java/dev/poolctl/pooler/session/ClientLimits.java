package dev.poolctl.pooler.session;

import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.pool.ClientCounts;
import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.protocol.PgProtocol;

/**
 * max_db_client_connections and max_user_client_connections for one client: PgBouncer 1.25's
 * check_db_connection_count and check_user_connection_count (client.c), called from set_pool at the
 * StartupMessage, before authentication, so a client logging in counts as one logged in. What the client was
 * counted for is remembered here and given back once when it closes, whichever way (a failed login, KILL, a drain,
 * a move to another loop in between: the counts are {@link GlobalState}'s, shared by the loops).
 */
final class ClientLimits {
    private static final String ADMIN_DATABASE = ClientLogin.ADMIN_DATABASE;

    /** What {@link #startup} decided. */
    enum Verdict { ADMITTED, REFUSED, LOOK_AGAIN }

    /** The database and the user this client is counted for, or null. */
    private String database;
    private String user;
    /** Whether a full limit refuses the client now (else: nothing is counted, to look again). */
    private boolean refuse;

    /**
     * At the StartupMessage (after max_client_conn): counts the client for its database and, when the pooler knows
     * the user, for its user. REFUSED: a limit refuses it (the client is failed, and counted for nothing).
     * LOOK_AGAIN (only when not {@code lastLook}): a limit would refuse it; nothing is counted and the client is not
     * failed, so that the caller can look again once the other loops have read their sockets ({@link LoopBarrier}).
     *
     * @param peer the console's user pgbouncer over the unix socket: as PgBouncer's admin_pre_login, counted for
     *     the database only
     */
    Verdict startup(ClientConnection client, PoolManager manager, boolean peer, boolean lastLook) {
        refuse = lastLook;
        PoolerConfig config = manager.config();
        GeneralSettings general = config.general();
        String db = client.database();
        boolean console = ADMIN_DATABASE.equals(db);
        boolean any = general.authType() == AuthType.ANY;
        // PgBouncer looks up admin_users by the login's credentials, which for a peer login and for the console
        // under auth_type any are the console's forced user pgbouncer. Those pass both checks (still counted).
        String credentials = peer || console && any ? ADMIN_DATABASE : client.user();
        boolean exempt = console && general.adminUsers().contains(credentials);
        // An unknown database is PgBouncer's "fake" one, a new object per client: counted alone, never full.
        DatabaseConfig entry = console ? null : config.database(db).orElse(null);
        if (console || entry != null) {
            int max = console ? general.maxDbClientConnections() : config.maxDbClientConnections(entry);
            if (!takeDatabase(client, manager, db, max, exempt)) {
                return refuse ? Verdict.REFUSED : Verdict.LOOK_AGAIN;
            }
        }
        if (peer || console && any && general.adminUsers().contains(client.user())) {
            return Verdict.ADMITTED; // admin_pre_login checks only the database for these
        }
        String counted = userToCount(client, manager, config, console);
        if (counted == null || takeUser(client, manager, counted, exempt)) {
            return Verdict.ADMITTED;
        }
        return refuse ? Verdict.REFUSED : Verdict.LOOK_AGAIN;
    }

    /**
     * The user whose clients this one counts as: under auth_type any the database's forced user (the console's:
     * pgbouncer), as PgBouncer logs the client in as that user; else the client's user when the pooler knows it
     * (auth_file or [users]: PgBouncer's global users), null otherwise. A user auth_query finds is counted when
     * its answer comes ({@link #authQueryFound}).
     */
    private static String userToCount(ClientConnection client, PoolManager manager, PoolerConfig config,
                                      boolean console) {
        String name = client.user();
        if (config.general().authType() == AuthType.ANY) {
            return console ? ADMIN_DATABASE : config.database(client.database()).map(DatabaseConfig::user).orElse(null);
        }
        boolean known = manager.userlist().secret(name).isPresent() || config.user(name).isPresent();
        return known ? name : null;
    }

    /** auth_query returned the user (handle_auth_query_response): counted now unless already counted. */
    boolean authQueryFound(ClientConnection client, PoolManager manager) {
        refuse = true;
        return user != null || takeUser(client, manager, client.user(), false);
    }

    private boolean takeDatabase(ClientConnection client, PoolManager manager, String db, int max, boolean exempt) {
        if (manager.global().databaseClients().take(db, max, exempt) < 0) {
            if (refuse) {
                refuse(client, manager, "db", db, manager.global().databaseClients(), max, "max_db_client_connections");
            }
            return false;
        }
        database = db;
        return true;
    }

    private boolean takeUser(ClientConnection client, PoolManager manager, String name, boolean exempt) {
        int max = manager.config().maxUserClientConnections(name);
        if (manager.global().userClients().take(name, max, exempt) < 0) {
            release(manager.global()); // PgBouncer's disconnect_client gives the database's place back at once
            if (refuse) {
                refuse(client, manager, "user", name, manager.global().userClients(), max, "max_user_client_connections");
            }
            return false;
        }
        user = name;
        return true;
    }

    /** PgBouncer's debug line and its error: {@code client connections exceeded (<key>)}, 08P01, FATAL. */
    private static void refuse(ClientConnection client, PoolManager manager, String what, String name,
                               ClientCounts counts, int max, String key) {
        if (manager.log().debugEnabled()) {
            manager.log().debug(client.prefix() + " set_pool: " + what + " '" + name + "' full ("
                    + (counts.count(name) + 1) + " >= " + max + ")");
        }
        client.fail(PgProtocol.PROTOCOL_VIOLATION, "client connections exceeded (" + key + ")");
    }

    /** The client is closing (or was refused): its places are given back, once. */
    void release(GlobalState global) {
        if (database != null) {
            global.databaseClients().gone(database);
            database = null;
        }
        if (user != null) {
            global.userClients().gone(user);
            user = null;
        }
    }
}

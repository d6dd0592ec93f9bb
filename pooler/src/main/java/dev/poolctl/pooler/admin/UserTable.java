package dev.poolctl.pooler.admin;

import static dev.poolctl.pooler.admin.ResultSetWriter.int4;
import static dev.poolctl.pooler.admin.ResultSetWriter.text;

import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.UserConfig;
import dev.poolctl.pooler.pool.ClientCounts;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * SHOW USERS: PgBouncer's columns, one row per user it would hold as a global user: auth_file's, then those only
 * in [users] (a [users] entry with max_user_client_connections limits a user auth_query finds). Servers are this
 * loop's (summed over the loops); client counts are over every loop already (max_user_client_connections').
 */
final class UserTable {
    private UserTable() {}

    /** The users listed: auth_file's in file order, then [users]' not in it. */
    static Set<String> names(PoolManager manager) {
        Set<String> names = new LinkedHashSet<>(manager.userlist().users());
        names.addAll(manager.config().users().keySet());
        return names;
    }

    static Table of(PoolManager manager) {
        Table rs = new Table(List.of(text("name"), text("pool_size"), text("reserve_pool_size"),
                text("pool_mode"), int4("max_user_connections"), int4("current_connections"),
                int4("max_user_client_connections"), int4("current_client_connections")));
        PoolerConfig config = manager.config();
        ClientCounts clients = manager.global().userClients();
        for (String user : names(manager)) {
            UserConfig u = config.user(user).orElse(null);
            int servers = 0;
            for (Pool p : manager.pools()) {
                if (p.key().user().equals(user)) {
                    servers += p.serverCount();
                }
            }
            rs.row(user,
                    u != null && u.poolSize() != null ? u.poolSize().toString() : "",
                    u != null && u.reservePoolSize() != null ? u.reservePoolSize().toString() : "",
                    u != null && u.poolMode() != null ? u.poolMode().toString() : null,
                    config.maxUserConnections(user), servers, config.maxUserClientConnections(user),
                    clients.count(user));
        }
        return rs;
    }
}

package dev.poolctl.pooler.pool;

import static dev.poolctl.pooler.pool.ClientState.ACTIVE;
import static dev.poolctl.pooler.pool.ClientState.LOGIN_WAIT;

import dev.poolctl.pooler.protocol.ParameterStatusSet;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The replication clients of one pool and their servers (PgBouncer 1.23+). A replication client is never given a
 * pooled server: once authenticated it waits (LOGIN_WAIT) for a server opened for it alone, with the
 * {@code replication} parameter, its startup settings and its {@code options} (proto.c send_startup_packet, as
 * physical replication takes no SET); logged in, that server is linked to it for the rest of its life, in session
 * semantics whatever the pool_mode (server.c connection_pool_mode), and closed when it leaves (objects.c
 * release_server: "replication client was closed"). Its servers count towards pool_size, and an idle server of the
 * pool is evicted to make room (objects.c launch_new_connection, evict_pool_connection). The client's welcome is
 * its own server's ParameterStatus set, not the pool's.
 */
final class ReplicationLinks {
    private final Pool pool;
    /** Clients waiting for room in the pool for their server, in arrival order. */
    private final ArrayDeque<PoolClient> waiting = new ArrayDeque<>(2); // small: every pool has these, few use them
    /** Servers logging in, and the client each is for. */
    private final Map<PoolServer, PoolClient> opening = new IdentityHashMap<>(2);
    /** Servers linked to their clients: the janitor looks at these only, not at every active server. */
    private final Set<PoolServer> linked = Collections.newSetFromMap(new IdentityHashMap<>(2));

    ReplicationLinks(Pool pool) {
        this.pool = pool;
    }

    /** Servers logging in for normal clients (the pool's first login and its queue wait for those only). */
    int normalLogins() {
        return pool.loginCount() - opening.size();
    }

    /** Whether clients other than replication ones wait for the pool's first login. */
    boolean normalLoginWaiters() {
        return pool.clientLists().size(LOGIN_WAIT) > waiting.size() + opening.size();
    }

    /** The clients of {@code loginWaiters} that wait for the pool's welcome (not for a server of their own). */
    static List<PoolClient> normalOnly(List<PoolClient> loginWaiters) {
        List<PoolClient> normal = new ArrayList<>(loginWaiters.size());
        for (PoolClient c : loginWaiters) {
            if (c.replication() == Replication.NONE) {
                normal.add(c);
            }
        }
        return normal;
    }

    /** An authenticated replication client (LOGIN_WAIT): its server is opened as soon as the pool has room. */
    void request(PoolClient c) {
        waiting.add(c);
        dispatch();
    }

    /** Opens servers for the waiting clients while there is room; the others wait for a server to close. */
    void dispatch() {
        while (!waiting.isEmpty() && room()) {
            PoolClient c = waiting.poll();
            PoolServer s = pool.manager().launch(pool, pool.hosts().pick(pool.database()), c.replicationStartup());
            if (s == null) {
                waiting.addFirst(c); // max_user_connections taken on another loop meanwhile
                return;
            }
            opening.put(s, c);
            pool.serverLists().enter(s.entry());
            s.connect();
        }
    }

    /**
     * PgBouncer's launch_new_connection(evict_if_needed) for a waiting replication client: with pool_size reached,
     * the pool's idle servers are closed ("evicted") to make room; a pool full of linked servers has none.
     */
    private boolean room() {
        StateLists<ServerState, PoolServer> servers = pool.serverLists();
        while (pool.serverCount() >= pool.settings().poolSize() && !servers.isEmpty(ServerState.IDLE)) {
            pool.disconnect(servers.last(ServerState.IDLE), "evicted");
        }
        return pool.canOpen(false);
    }

    /**
     * A server logged in: a replication one is linked to its client, which gets the server's own welcome. True
     * for a replication server (the pool neither learns its welcome nor idles it).
     */
    boolean loggedIn(PoolServer s) {
        PoolClient c = opening.remove(s);
        if (c == null) {
            return s.replication() != Replication.NONE;
        }
        long now = pool.manager().clock().nanoTime();
        // The welcome while still LOGIN_WAIT: nothing the client might have sent is read before the link below.
        c.finishLogin(new ParameterStatusSet(s.welcome()));
        pool.stats().assigned((now - c.entry().sinceNanos()) / 1_000);
        // Through IDLE, within this call: the state machines link only logged-in clients and servers.
        pool.serverLists().move(s.entry(), ServerState.IDLE, now);
        pool.serverLists().move(s.entry(), ServerState.ACTIVE, now);
        pool.clientLists().move(c.entry(), ClientState.IDLE, now);
        pool.clientLists().move(c.entry(), ACTIVE, now);
        s.link(c, now);
        c.linked(s);
        linked.add(s);
        return true;
    }

    /**
     * A replication server's login failed: its client gets "login failed" and the pool caches no error, since the
     * cause is often the replication's own (no REPLICATION role, no pg_hba.conf replication line) and normal logins
     * still work (PgBouncer's server.c handle_server_startup). False for a normal server.
     */
    boolean loginFailed(PoolServer s, String sqlState, String message) {
        if (s.replication() == Replication.NONE) {
            return false;
        }
        pool.log().warning(s.prefix() + " login failed: " + message);
        pool.disconnect(s, PgProtocol.CONNECTION_FAILURE.equals(sqlState) ? message : "login failed");
        return true;
    }

    /** A server leaves the pool: a replication client waiting for it, or linked to it, goes too, told why. */
    void serverGone(PoolServer s, PoolClient client, String reason) {
        PoolClient c = opening.remove(s);
        if (c != null && c.state() == LOGIN_WAIT) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION, reason); // PgBouncer's unlink_server
        } else if (linked.remove(s) && client != null && client.state() == ACTIVE) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, reason);
        }
    }

    /** A replication client left (it is CLOSED already): its server closes, never reused. */
    void clientClosed(PoolClient c, PoolServer linked) {
        waiting.remove(c);
        for (Map.Entry<PoolServer, PoolClient> e : opening.entrySet()) {
            if (e.getValue() == c) {
                PoolServer s = e.getKey();
                opening.remove(s);
                pool.retire(s, "replication client disconnected"); // objects.c disconnect_client, CL_WAITING
                return;
            }
        }
        if (linked == null || linked.state() != ServerState.ACTIVE) {
            return;
        }
        boolean quiet = linked.isQuiet();
        linked.unlink(pool.manager().clock().nanoTime());
        if (linked.isOpen()) {
            pool.retire(linked, quiet ? "replication client was closed" : "client disconnect while server was not ready");
        }
    }

    /**
     * The janitor: replication servers marked close_needed (RECONNECT, a changed database) close at once with
     * their clients, as they may stream for ever (janitor.c pool_server_maint); waiting clients get their servers
     * as room appears (janitor.c per_loop_activate).
     */
    void janitor() {
        for (PoolServer s : linked.isEmpty() ? List.<PoolServer>of() : new ArrayList<>(linked)) {
            if (s.closeNeeded()) {
                PoolClient c = s.client();
                if (c != null) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "database configuration changed");
                }
                pool.disconnect(s, "database configuration changed");
            }
        }
        dispatch();
    }
}

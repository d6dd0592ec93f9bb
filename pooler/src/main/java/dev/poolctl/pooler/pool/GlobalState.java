package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.HbaConfig;
import dev.poolctl.pooler.stats.LoginFailures;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What the event loops share (with {@code event_loops} above 1 each loop has its own {@link PoolManager}): the
 * global limits max_client_conn and max_user_connections, the client counts per database and per user
 * (max_db_client_connections, max_user_client_connections), connection ids, prepared statement names, cancel keys
 * and the list of loops. Everything else stays confined to one loop; these are atomics, so no loop waits for
 * another. A database's pools all live on one loop ({@link #managerFor}), so max_db_connections needs no sharing;
 * its clients log in on any loop, so its client count is shared.
 */
public final class GlobalState {
    private final AtomicInteger clients = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicLong statementIds = new AtomicLong();
    /** Servers per pool user over every loop: max_user_connections. */
    private final ConcurrentHashMap<String, AtomicInteger> userServers = new ConcurrentHashMap<>();
    /** Clients per database and per user over every loop: max_db_client_connections, max_user_client_connections. */
    private final ClientCounts databaseClients = new ClientCounts();
    private final ClientCounts userClients = new ClientCounts();
    private final CancelKeys cancelKeys = new CancelKeys();
    private final LoginFailures clientLoginFailures = new LoginFailures();
    private final List<PoolManager> managers = new CopyOnWriteArrayList<>();
    private volatile int lastLoginLoop = -1;
    /** auth_type = hba's rules: replaced whole at RELOAD, read by every login. */
    private volatile HbaConfig hba = HbaConfig.NONE;
    /** When this pooler started (SHOW STATE's started_at: the dashboard's uptime). */
    private final java.time.Instant startedAt = java.time.Instant.now();
    /** DRAIN: whether one runs, and when it closes the clients still in a transaction (null: no deadline). */
    private volatile boolean draining;
    private volatile java.time.Instant drainDeadline;

    public java.time.Instant startedAt() {
        return startedAt;
    }

    /** A DRAIN began (or was given a new deadline); {@code deadline} null when it has none. */
    public void draining(java.time.Instant deadline) {
        drainDeadline = deadline;
        draining = true;
    }

    public boolean isDraining() {
        return draining;
    }

    public java.time.Instant drainDeadline() {
        return drainDeadline;
    }

    public HbaConfig hba() {
        return hba;
    }

    public void hba(HbaConfig rules) {
        hba = rules;
    }

    /** Called by each PoolManager as it is built; its index is its place in {@link #managers}. */
    int register(PoolManager manager) {
        managers.add(manager);
        return managers.size() - 1;
    }

    /** Every loop's manager, in loop order. */
    public List<PoolManager> managers() {
        return managers;
    }

    /**
     * The loop that owns a database's pools: fixed for the process, so max_db_connections, SHOW STATS per
     * database and auto-databases stay on one loop.
     */
    public PoolManager managerFor(String database) {
        List<PoolManager> all = managers;
        return all.get(all.size() == 1 ? 0 : Math.floorMod(database.hashCode(), all.size()));
    }

    /** The loop the last client that logged in to a pool went to: where new connections are likely to go. */
    public int lastLoginLoop() {
        return lastLoginLoop;
    }

    /** A client logged in for a database of {@code home}'s loop. */
    public void loggedIn(PoolManager home) {
        if (lastLoginLoop != home.index()) {
            lastLoginLoop = home.index(); // written only on a change: no shared cache line per login
        }
    }

    /** Client logins refused with an ErrorResponse, by SQLSTATE (SHOW LOGINS' companion on /metrics). */
    public LoginFailures clientLoginFailures() {
        return clientLoginFailures;
    }

    /** Client and server ids (SHOW CLIENTS/SERVERS, KILL_CLIENT): unique over every loop. */
    public long nextId() {
        return ids.incrementAndGet();
    }

    /** The PGBOUNCER_n numbers: each loop has its own statement registry, the names stay unique. */
    public long nextStatementId() {
        return statementIds.incrementAndGet();
    }

    /** A new client socket (any: a login, a cancel request, a console user): counted until {@link #clientGone}. */
    void clientConnected() {
        clients.incrementAndGet();
    }

    /** Adds one to {@code count} unless it has reached {@code limit}: check and count in one step. */
    private static boolean incrementBelow(AtomicInteger count, int limit) {
        while (true) {
            int n = count.get();
            if (n >= limit) {
                return false;
            }
            if (count.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void clientGone() {
        clients.decrementAndGet();
    }

    /** Clients counted against max_client_conn, over every loop. */
    public int clientCount() {
        return clients.get();
    }

    /**
     * Counts a new server of {@code user}, unless that would pass {@code max} (0 = no limit): the check and the count
     * are one step, so two loops cannot both take the last slot.
     */
    boolean takeUserServer(String user, int max) {
        return incrementBelow(userServers.computeIfAbsent(user, u -> new AtomicInteger()),
                max > 0 ? max : Integer.MAX_VALUE);
    }

    void userServerGone(String user) {
        AtomicInteger count = userServers.get(user);
        if (count != null) {
            count.decrementAndGet();
        }
    }

    /** Servers of {@code user} over every loop. */
    public int userServers(String user) {
        AtomicInteger count = userServers.get(user);
        return count == null ? 0 : count.get();
    }

    /** Clients counted per database (also the console's, under pgbouncer): max_db_client_connections. */
    public ClientCounts databaseClients() {
        return databaseClients;
    }

    /** Clients counted per user: max_user_client_connections. */
    public ClientCounts userClients() {
        return userClients;
    }

    CancelKeys cancelKeys() {
        return cancelKeys;
    }
}

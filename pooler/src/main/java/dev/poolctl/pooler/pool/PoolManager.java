package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.prepare.StatementRegistry;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * One event loop's pools, the clients on that loop not in a pool (logging in, console, cancel requests) and the
 * limits that span pools (max_db_connections, max_user_connections). Confined to its loop ({@code onLoop},
 * {@link #execute}); what the loops share is in {@link GlobalState}. Time comes from the injected {@link Clock},
 * servers from the injected {@link ServerLauncher}.
 */
public final class PoolManager {
    /**
     * PgBouncer's fixed varcache set, plus search_path (tracked by default since PgBouncer 1.26; before
     * PostgreSQL 18 the server does not report it, so the pooler reads it back, see ClientSettings).
     */
    private static final List<String> ALWAYS_TRACKED = List.of("client_encoding", "datestyle", "timezone",
            "standard_conforming_strings", "application_name", "search_path");

    private final PoolerLog log;
    private final Clock clock;
    private final BooleanSupplier onLoop;
    private final ServerLauncher launcher;
    private final java.util.concurrent.Executor loop;
    private final GlobalState global;
    private final int index;
    private final Map<PoolKey, Pool> pools = new LinkedHashMap<>();
    private final AutoDatabases autoDatabases = new AutoDatabases();
    private final IdlePools idlePools = new IdlePools();
    /** Distinct prepared statements of all pools: their PGBOUNCER_<n> names are unique pooler-wide. */
    private final StatementRegistry statementRegistry;
    private final ServerLimits limits;
    /** Clients logging in (STARTUP, AUTH: cl_login), on the console (ADMIN) and cancel requests (CANCEL). */
    private final StateLists<ClientState, PoolClient> clients = StateLists.clients();
    private final PauseState pause = new PauseState();
    private final StatsRotation stats;
    private volatile PoolerConfig config;
    private volatile Userlist userlist;
    private List<String> tracked;
    private Set<String> trackedSet;
    private boolean shuttingDown;
    private final Stopping stopping = new Stopping();

    /** The only loop: tests, with {@code onLoop} and every task run at once. */
    public PoolManager(PoolerConfig config, Userlist userlist, PoolerLog log, Clock clock, BooleanSupplier onLoop,
                       ServerLauncher launcher) {
        this(config, userlist, log, clock, onLoop, Runnable::run, launcher, new GlobalState());
    }

    /** One loop's manager: {@code loop} runs tasks on it (other loops post cancels and evictions there). */
    public PoolManager(PoolerConfig config, Userlist userlist, PoolerLog log, Clock clock, BooleanSupplier onLoop,
                       java.util.concurrent.Executor loop, ServerLauncher launcher, GlobalState global) {
        this.log = log;
        this.clock = clock;
        this.onLoop = onLoop;
        this.loop = loop;
        this.launcher = launcher;
        this.global = global;
        this.statementRegistry = new StatementRegistry(global::nextStatementId);
        this.limits = new ServerLimits(this, global);
        this.stats = new StatsRotation(clock);
        apply(config, userlist);
        this.index = global.register(this);
    }

    /** Installs a new configuration (start or reload); pools pick up changed database entries. */
    public void apply(PoolerConfig newConfig, Userlist newUserlist) {
        if (this.config != null) {
            newConfig = config.keepRestartOnlySettings(newConfig, log::warning);
        }
        this.config = newConfig;
        log.verboseSetting(newConfig.general().verbose()); // shared by the loops: each sets the same value
        this.userlist = newUserlist;
        List<String> t = new ArrayList<>(ALWAYS_TRACKED);
        for (String extra : newConfig.general().trackExtraParameters()) {
            String name = extra.toLowerCase(Locale.ROOT);
            if (!t.contains(name)) {
                t.add(name);
            }
        }
        tracked = Collections.unmodifiableList(t);
        trackedSet = Set.copyOf(t);
        for (Pool pool : pools.values()) {
            DatabaseConfig old = pool.database();
            DatabaseConfig db = newConfig.database(pool.key().database()).orElse(old);
            boolean serverChanged = !db.hosts().equals(old.hosts()) || db.port() != old.port()
                    || !Objects.equals(db.dbname(), old.dbname()) || !Objects.equals(db.password(), old.password());
            pool.configure(db); // every pool: a [pgbouncer] or [users] change applies too
            if (serverChanged) {
                PoolControl.markAllCloseNeeded(pool);
            }
        }
    }

    /** Pools, clients and servers are unlocked, confined to the loop: entry points assert it (tests run -ea). */
    boolean onLoop() {
        return onLoop.getAsBoolean();
    }

    public PoolerConfig config() { return config; }
    public Userlist userlist() { return userlist; }
    public PoolerLog log() { return log; }
    public Clock clock() { return clock; }
    ServerLauncher launcher() { return launcher; }
    public Collection<Pool> pools() { return Collections.unmodifiableCollection(pools.values()); }
    public Set<PoolKey> poolKeys() { return Collections.unmodifiableSet(pools.keySet()); }
    /** Clients counted against max_client_conn, over every loop. */
    public int clientCount() { return global.clientCount(); }
    public boolean isShuttingDown() { return shuttingDown; }
    /** A shutdown that waits, or a drain, has begun (logins to pools refused); {@link #shutdown} ends it. */
    public Stopping stopping() { return stopping; }
    public long nextId() { return global.nextId(); }
    public GlobalState global() { return global; }
    /** This loop's place among the loops (0 with one loop). */
    public int index() { return index; }

    /** Runs {@code task} on this manager's loop (at once when already there). */
    public void execute(Runnable task) {
        if (onLoop.getAsBoolean()) {
            task.run();
        } else {
            loop.execute(task);
        }
    }

    /** The loop itself, for handing a connection over to it. */
    public java.util.concurrent.Executor loop() { return loop; }
    public StatementRegistry statementRegistry() { return statementRegistry; }
    public List<String> trackedParameters() { return tracked; }
    public boolean isTrackedParameter(String lowerName) { return trackedSet.contains(lowerName); }
    public StatsRotation stats() { return stats; }

    public Pool pool(DatabaseConfig db, String user) {
        assert onLoop();
        return pools.computeIfAbsent(new PoolKey(db.name(), user), k -> new Pool(k, db, this));
    }

    // ---- clients outside the pools ----

    /**
     * A new connection: counted (every client socket counts towards max_client_conn, as PgBouncer's active client
     * count) and listed as logging in (STARTUP); refused only while shutting down.
     */
    public boolean admitClient(PoolClient c) {
        assert onLoop();
        if (shuttingDown) {
            return false;
        }
        global.clientConnected();
        clients.enter(c.entry());
        return true;
    }

    /**
     * Whether a StartupMessage must be refused for max_client_conn: the count includes the asking client, so it is
     * over when above the limit. As PgBouncer, this is checked only for a StartupMessage, and not for the admin
     * console: a CancelRequest, or an operator's console login, still works when the pooler is full.
     */
    public boolean overMaxClientConn() {
        return global.clientCount() > config.general().maxClientConn();
    }

    /**
     * An authenticated client leaves this loop for the loop of its database's pools ({@link GlobalState#managerFor});
     * still counted against max_client_conn. It is in no list until {@link #arrived} on the other loop.
     */
    public void departing(PoolClient c) {
        assert onLoop();
        clients.leave(c.entry());
    }

    /** A client handed over from another loop: logging in (AUTH) here until it joins its pool. */
    public void arrived(PoolClient c) {
        assert onLoop();
        clients.enter(c.entry());
    }

    /** The client sent its StartupMessage and is asked for a password. */
    public void authenticating(PoolClient c) {
        clients.move(c.entry(), ClientState.AUTH, clock.nanoTime());
    }

    public void adminLoggedIn(PoolClient c) {
        clients.move(c.entry(), ClientState.ADMIN, clock.nanoTime());
    }

    /** The connection carries a CancelRequest: no longer counted as logging in (cl_login). */
    public void cancelRequest(PoolClient c) {
        clients.move(c.entry(), ClientState.CANCEL, clock.nanoTime());
    }

    public int loginClientCount() { return clients.size(ClientState.STARTUP) + clients.size(ClientState.AUTH); }
    public int adminClientCount() { return clients.size(ClientState.ADMIN); }
    public int cancelRequestCount() { return clients.size(ClientState.CANCEL); }

    /** Clients logged in to the console, oldest first: SHOW CLIENTS lists them under database pgbouncer. */
    public List<PoolClient> adminClients() {
        return clients.list(ClientState.ADMIN);
    }

    /** Every client: logging in, console and pool clients. */
    public List<PoolClient> allClients() {
        List<PoolClient> all = new ArrayList<>();
        clients.addTo(all, ClientState.STARTUP);
        clients.addTo(all, ClientState.AUTH);
        clients.addTo(all, ClientState.ADMIN);
        pools.values().forEach(p -> all.addAll(p.clients()));
        return all;
    }

    /** The client's socket is closed; {@code admitted}: it was counted against max_client_conn. */
    public void clientClosed(PoolClient c, boolean admitted, PoolServer server) {
        assert onLoop();
        if (admitted) {
            global.clientGone();
        }
        global.cancelKeys().remove(c);
        if (c.state() == ClientState.CLOSED) {
            return; // already gone
        }
        if (c.pool() != null && c.entry().lists != clients) {
            c.pool().clientClosed(c, server);
        } else {
            clients.move(c.entry(), ClientState.CLOSED, clock.nanoTime());
        }
    }

    /** KILL_CLIENT id, any client: false when no such client. */
    public boolean killClient(long id) {
        assert onLoop();
        for (PoolClient c : allClients()) {
            if (c.id() == id) {
                c.failNow(PgProtocol.PROTOCOL_VIOLATION, "admin forced disconnect");
                return true;
            }
        }
        return false;
    }

    // ---- cancels: each client gets its own BackendKeyData (CancelKeys), mapped to whatever server it has ----

    public int newCancelKey(PoolClient c) {
        assert onLoop();
        return global.cancelKeys().add(c, config.general().intValue(Setting.PEER_ID));
    }

    public int cancelSecret(PoolClient c) {
        return global.cancelKeys().secret(c);
    }

    /**
     * A CancelRequest arrived: forwarded to the server the client is linked to, or kept for when a queued client
     * gets one. {@code whenDone} closes the requesting connection: like PgBouncer, only once PostgreSQL has acted
     * on the cancel, so a client that waits for the close knows its cancel has landed.
     */
    public void cancel(int pid, int secret, Runnable whenDone) {
        assert onLoop();
        int peerId = config.general().intValue(Setting.PEER_ID);
        if (Peering.forwarded(this, peerId, pid, secret, whenDone)) {
            return;
        }
        PoolClient c = global.cancelKeys().find(pid, Peering.ownSecret(peerId, secret));
        // A client's pool is set before its key is issued (the welcome), and the key map publishes both.
        Pool pool = c == null ? null : c.pool();
        if (c == null) {
            log.debug("cancel request for unknown key");
            whenDone.run();
        } else if (pool != null && pool.manager() != this) {
            // The client lives on another loop: the cancel runs there, the requester is closed back here.
            PoolManager owner = pool.manager();
            owner.execute(() -> owner.cancelOnLoop(c, () -> execute(whenDone)));
        } else {
            cancelOnLoop(c, whenDone);
        }
    }

    private void cancelOnLoop(PoolClient c, Runnable whenDone) {
        if (c.state() == ClientState.CLOSED) {
            whenDone.run();
        } else if (c.server() != null && c.state() == ClientState.ACTIVE) {
            c.pool().forwardCancel(c.server(), whenDone);
        } else {
            if (c.state() == ClientState.WAITING) {
                c.cancelWhenLinked();
            }
            whenDone.run();
        }
    }

    // ---- servers ----

    /**
     * A new server connection for {@code pool} to {@code host} (null: the default unix socket dir) with {@code extra}
     * startup parameters, not connected; null when max_user_connections is reached over all loops.
     */
    PoolServer launch(Pool pool, String host, Map<String, String> extra) {
        DatabaseConfig db = pool.database();
        String user = pool.key().user();
        if (!global.takeUserServer(user, config.maxUserConnections(user))) {
            return null;
        }
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", user);
        startup.put("database", db.dbname() != null ? db.dbname() : db.name());
        if (db.clientEncoding() != null) startup.put("client_encoding", db.clientEncoding());
        if (db.datestyle() != null) startup.put("datestyle", db.datestyle());
        if (db.timezone() != null) startup.put("timezone", db.timezone());
        if (db.applicationName() != null) startup.put("application_name", db.applicationName());
        startup.putAll(extra); // a replication client's own parameters (ReplicationLinks)
        PoolCredentials known = pool.credentials();
        Secret secret = known.forServerLogin(db.password(), userlist.secret(user));
        return launcher.launch(pool,
                new ServerLauncher.Login(nextId(), user, host, db.port(), startup, secret, known.scramClientKey()));
    }

    /** max_db_connections and max_user_connections for this loop's pools. */
    ServerLimits limits() { return limits; }

    // ---- PAUSE, RESUME, SUSPEND, KILL, RECONNECT, DISABLE, ENABLE ----

    /** PgBouncer's cf_pause_mode: PAUSE stops handing out servers, SUSPEND also stops reading sockets. */
    public enum PauseMode { NONE, PAUSE, SUSPEND }

    public PauseMode pauseMode() { return pause.mode; }
    public Set<String> pausedDatabases() { return Collections.unmodifiableSet(pause.databases); }
    public Set<String> disabledDatabases() { return Collections.unmodifiableSet(pause.disabled); }

    /** Servers are not handed out for this database (global PAUSE/SUSPEND, PAUSE db or KILL db). */
    public boolean isPaused(String database) {
        return pause.isPaused(database);
    }

    public boolean isDisabled(String database) {
        return pause.disabled.contains(database);
    }

    public void disable(String database) {
        pause.disabled.add(database);
    }

    public void enable(String database) {
        pause.disabled.remove(database);
    }

    /** PAUSE [db]: release-and-close servers from now on; idle ones go at once. */
    public void pause(String database) {
        assert onLoop();
        if (database == null) {
            pause.mode = PauseMode.PAUSE;
        } else {
            pause.databases.add(database);
        }
        for (Pool p : pools.values()) {
            if (isPaused(p.key().database())) {
                PoolControl.closeIdle(p, "pause mode");
            }
        }
    }

    /** Whether no server of {@code database} (null: any) is in use any more: PAUSE has taken effect. */
    public boolean quiesced(String database) {
        for (Pool p : pools.values()) {
            if ((database == null || p.key().database().equals(database))
                    && p.activeCount() + p.usedCount() + p.loginCount() + p.beingCanceledCount() > 0) {
                return false;
            }
        }
        return true;
    }

    /** RESUME [db]: undo PAUSE/SUSPEND (global) or PAUSE/KILL of one database, and serve the queues. */
    public void resume(String database) {
        assert onLoop();
        if (database == null) {
            if (pause.mode == PauseMode.SUSPEND) {
                PoolControl.suspend(pools.values(), false);
            }
            pause.mode = PauseMode.NONE;
        } else {
            pause.databases.remove(database);
        }
        for (Pool p : new ArrayList<>(pools.values())) {
            p.serveQueue();
        }
    }

    /** SUSPEND: flush everything and stop reading every client and server socket. */
    public void suspend() {
        assert onLoop();
        pause.mode = PauseMode.SUSPEND;
        pause.suspendSince = clock.nanoTime();
        PoolControl.suspend(pools.values(), true);
    }

    /** SUSPEND has taken effect: nothing is left to send; past suspend_timeout what still has data is closed. */
    public boolean suspended() {
        long timeout = config.general().durationValue(Setting.SUSPEND_TIMEOUT).toNanos();
        return PoolControl.flushed(pools.values(), timeout > 0 && clock.nanoTime() - pause.suspendSince >= timeout);
    }

    /** KILL [db]: drop every client and server of the database(s) now; they stay paused until RESUME. */
    public void kill(String database) {
        assert onLoop();
        for (Pool p : new ArrayList<>(pools.values())) {
            if (database == null || p.key().database().equals(database)) {
                pause.databases.add(p.key().database());
                PoolControl.closeAll(p, "admin forced disconnect");
            }
        }
        if (database != null) {
            pause.databases.add(database);
        }
    }

    /** RECONNECT [db]: every server is closed once released; new ones connect afresh. */
    public void reconnect(String database) {
        assert onLoop();
        for (Pool p : pools.values()) {
            if (database == null || p.key().database().equals(database)) {
                PoolControl.markAllCloseNeeded(p);
            }
        }
    }

    /** WAIT_CLOSE has taken effect: no server of the database(s) is still marked close_needed. */
    public boolean closeNeededGone(String database) {
        for (Pool p : pools.values()) {
            if ((database == null || p.key().database().equals(database))
                    && p.servers().stream().anyMatch(PoolServer::closeNeeded)) {
                return false;
            }
        }
        return true;
    }

    // ---- janitor and shutdown ----

    /** client_login_timeout, every pool's janitor, and unused auto-databases (PgBouncer's janitor.c). */
    public void janitor() {
        assert onLoop();
        long now = clock.nanoTime();
        long loginTimeout = config.general().clientLoginTimeout().toNanos();
        if (loginTimeout > 0 && loginClientCount() > 0) { // usually none: no list to allocate
            List<PoolClient> loggingIn = clients.list(ClientState.STARTUP);
            clients.addTo(loggingIn, ClientState.AUTH);
            for (PoolClient c : loggingIn) {
                if (now - c.connectNanos() > loginTimeout) {
                    // Clients waiting for a server login get "(server down)" from their pool's janitor.
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "client_login_timeout");
                }
            }
        }
        // PgBouncer's janitor: a forced-user database with min_pool_size has its pool, and servers, without clients
        config.keptWarm().stream().filter(db -> global.managerFor(db.name()) == this).forEach(db -> pool(db, db.user()));
        for (Pool p : new ArrayList<>(pools.values())) {
            p.janitor(now);
        }
        stopping.sweep(pools.values(), now);
        autoDatabases.reap(pools, config, now, this::isPaused, log);
        idlePools.reap(pools, config, now, log);
    }

    /** Every stats_period: rotate the snapshots; the daemon logs PgBouncer's stats line over every loop. */
    public StatsRotation.Rotated rotateStats() {
        assert onLoop();
        return stats.tick(pools.values());
    }

    /** Stop admitting clients and close everything. */
    public void shutdown(String reason) {
        assert onLoop();
        shuttingDown = true;
        for (Pool p : new ArrayList<>(pools.values())) {
            PoolControl.closeAll(p, reason);
        }
        for (PoolClient c : adminClients()) {
            c.close("pooler shutting down");
        }
    }
}

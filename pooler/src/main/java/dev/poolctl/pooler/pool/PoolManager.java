package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.ServerConnector;
import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.session.ClientState;
import dev.poolctl.pooler.session.ServerConnection;
import dev.poolctl.pooler.session.ServerLogin;
import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * All pools, the client registry (max_client_conn, cancel keys) and the limits that span pools
 * (max_db_connections, max_user_connections). Confined to the one event loop.
 */
public final class PoolManager {
    /**
     * PgBouncer's fixed varcache set, plus search_path (tracked by default since PgBouncer 1.26; before
     * PostgreSQL 18 the server does not report it, so the pooler reads it back, see ClientSettings).
     */
    private static final List<String> ALWAYS_TRACKED =
            List.of("client_encoding", "datestyle", "timezone", "standard_conforming_strings", "application_name",
                    "search_path");

    private final EventLoop loop;
    private final PoolerLog log;
    private final ServerConnector connector;
    private final Map<PoolKey, Pool> pools = new LinkedHashMap<>();
    private final AutoDatabases autoDatabases = new AutoDatabases();
    /** Distinct prepared statements of all pools: their PGBOUNCER_<n> names are unique pooler-wide. */
    private final dev.poolctl.pooler.prepare.StatementRegistry statementRegistry =
            new dev.poolctl.pooler.prepare.StatementRegistry();
    private final CancelKeys cancelKeys = new CancelKeys();
    /** Clients logged in to the admin console (database pgbouncer). */
    private final Set<ClientConnection> adminClients = new java.util.LinkedHashSet<>();
    private dev.poolctl.pooler.admin.AdminConsole console;
    /** Clients still in the startup or authentication phase, oldest first (cl_login). */
    private final Set<ClientConnection> loggingIn = new java.util.LinkedHashSet<>();
    private volatile PoolerConfig config;
    private volatile Userlist userlist;
    private List<String> tracked;
    private int clientCount;
    private long nextId;
    private boolean shuttingDown;

    public PoolManager(PoolerConfig config, Userlist userlist, PoolerLog log, EventLoop loop, ServerConnector connector) {
        this.loop = loop;
        this.log = log;
        this.connector = connector;
        apply(config, userlist);
    }

    /** Installs a new configuration (start or reload); pools pick up changed database entries. */
    public void apply(PoolerConfig newConfig, Userlist newUserlist) {
        if (this.config != null) {
            newConfig = keepRestartOnlySettings(newConfig);
        }
        this.config = newConfig;
        this.userlist = newUserlist;
        List<String> t = new ArrayList<>(ALWAYS_TRACKED);
        for (String extra : newConfig.general().trackExtraParameters()) {
            String name = extra.toLowerCase(Locale.ROOT);
            if (!t.contains(name)) {
                t.add(name);
            }
        }
        tracked = Collections.unmodifiableList(t);
        for (Pool pool : pools.values()) {
            DatabaseConfig db = newConfig.database(pool.key().database()).orElse(null);
            if (db != null && !db.equals(pool.database())) {
                boolean serverChanged = !db.hosts().equals(pool.database().hosts()) || db.port() != pool.database().port()
                        || !java.util.Objects.equals(db.dbname(), pool.database().dbname())
                        || !java.util.Objects.equals(db.password(), pool.database().password());
                pool.configure(db);
                if (serverChanged) {
                    pool.markAllCloseNeeded();
                }
            }
        }
    }

    /**
     * Keys PgBouncer marks changeable=no (listen_port, unix_socket_dir, ...) keep their running value on
     * reload; each change is reported so it is not silently lost.
     */
    private PoolerConfig keepRestartOnlySettings(PoolerConfig next) {
        var general = next.general();
        for (dev.poolctl.pooler.config.Setting s : dev.poolctl.pooler.config.Setting.values()) {
            String running = config.general().raw(s);
            String wanted = general.raw(s);
            if (!s.reloadable() && !java.util.Objects.equals(running, wanted)) {
                log.warning("cannot change " + s.key() + " from '" + running + "' to '" + wanted
                        + "' without a restart; keeping '" + running + "'");
                general = general.with(s, running == null ? "" : running);
            }
        }
        return general == next.general() ? next
                : new PoolerConfig(next.file(), general, next.databases(), next.users());
    }

    /** Pools, clients and servers are unlocked, confined to the loop: entry points assert it (tests run -ea). */
    boolean onLoop() {
        return loop.inEventLoop();
    }

    public PoolerConfig config() { return config; }
    public Userlist userlist() { return userlist; }
    public boolean hasUserlist() { return config.general().authFile() != null; }
    public PoolerLog log() { return log; }
    public EventLoop loop() { return loop; }
    public Collection<Pool> pools() { return Collections.unmodifiableCollection(pools.values()); }
    public int clientCount() { return clientCount; }
    public boolean isShuttingDown() { return shuttingDown; }
    public long nextId() { return ++nextId; }
    public dev.poolctl.pooler.prepare.StatementRegistry statementRegistry() { return statementRegistry; }

    public List<String> trackedParameters() {
        return tracked;
    }

    public boolean isTrackedParameter(String lowerName) {
        return tracked.contains(lowerName);
    }

    // ---- clients ----

    public boolean admitClient(ClientConnection c) {
        assert onLoop();
        if (shuttingDown || clientCount >= config.general().maxClientConn()) {
            return false;
        }
        clientCount++;
        loggingIn.add(c);
        return true;
    }

    /** PgBouncer's cf_pause_mode: PAUSE stops handing out servers, SUSPEND also stops reading sockets. */
    public enum PauseMode { NONE, PAUSE, SUSPEND }

    private PauseMode pauseMode = PauseMode.NONE;
    private final Set<String> pausedDatabases = new java.util.HashSet<>();
    private final Set<String> disabledDatabases = new java.util.HashSet<>();

    public PauseMode pauseMode() { return pauseMode; }
    public Set<String> pausedDatabases() { return Collections.unmodifiableSet(pausedDatabases); }
    public Set<String> disabledDatabases() { return Collections.unmodifiableSet(disabledDatabases); }

    /** Servers are not handed out for this database (global PAUSE/SUSPEND, PAUSE db or KILL db). */
    public boolean isPaused(String database) {
        return pauseMode != PauseMode.NONE || pausedDatabases.contains(database);
    }

    public boolean isDisabled(String database) {
        return disabledDatabases.contains(database);
    }

    /** PAUSE [db]: release-and-close servers from now on; idle ones go at once. */
    public void pause(String database) {
        assert onLoop();
        if (database == null) {
            pauseMode = PauseMode.PAUSE;
        } else {
            pausedDatabases.add(database);
        }
        for (Pool p : pools.values()) {
            if (isPaused(p.key().database())) {
                p.closeIdle("pause mode");
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
        if (database == null) {
            if (pauseMode == PauseMode.SUSPEND) {
                eachConnection(ch -> ch.config().setAutoRead(true));
            }
            pauseMode = PauseMode.NONE;
        } else {
            pausedDatabases.remove(database);
        }
        for (Pool p : new ArrayList<>(pools.values())) {
            p.resumeDispatch();
        }
    }

    /** SUSPEND: flush everything and stop reading every client and server socket. */
    public void suspend() {
        pauseMode = PauseMode.SUSPEND;
        eachConnection(ch -> {
            ch.config().setAutoRead(false);
            ch.flush();
        });
    }

    private void eachConnection(java.util.function.Consumer<io.netty.channel.Channel> action) {
        for (Pool p : pools.values()) {
            for (ClientConnection c : p.clients()) {
                action.accept(c.channel());
            }
            for (ServerConnection s : p.servers()) {
                if (s.channel() != null) {
                    action.accept(s.channel());
                }
            }
        }
    }

    /** KILL [db]: drop every client and server of the database(s) now; they stay paused until RESUME. */
    public void kill(String database) {
        if (database != null) {
            pausedDatabases.add(database);
        }
        for (Pool p : new ArrayList<>(pools.values())) {
            if (database == null || p.key().database().equals(database)) {
                if (database == null) {
                    pausedDatabases.add(p.key().database());
                }
                p.closeAll("admin forced disconnect");
            }
        }
    }

    /** Every client: logging in, console and pool clients (a client waiting for its pool's login is twice). */
    public List<ClientConnection> allClients() {
        List<ClientConnection> all = new ArrayList<>(loggingIn);
        all.addAll(adminClients);
        pools.values().forEach(p -> all.addAll(p.clients()));
        return all;
    }

    /** KILL_CLIENT id, any client: false when no such client. */
    public boolean killClient(long id) {
        assert onLoop();
        for (ClientConnection c : allClients()) {
            if (c.id() == id) {
                c.fail(dev.poolctl.pooler.protocol.PgProtocol.PROTOCOL_VIOLATION, "admin forced disconnect");
                return true;
            }
        }
        return false;
    }

    /** RECONNECT [db]: every server is closed once released; new ones connect afresh. */
    public void reconnect(String database) {
        for (Pool p : pools.values()) {
            if (database == null || p.key().database().equals(database)) {
                p.markAllCloseNeeded();
            }
        }
    }

    /** WAIT_CLOSE has taken effect: no server of the database(s) is still marked close_needed. */
    public boolean closeNeededGone(String database) {
        for (Pool p : pools.values()) {
            if ((database == null || p.key().database().equals(database))
                    && p.servers().stream().anyMatch(ServerConnection::closeNeeded)) {
                return false;
            }
        }
        return true;
    }

    public void disable(String database) {
        disabledDatabases.add(database);
    }

    public void enable(String database) {
        disabledDatabases.remove(database);
    }

    /** When the stats snapshots were last rotated, and the time before: averages span from the older stamp. */
    private long statsOldStampNanos = System.nanoTime() - 1_000_000_000L;
    private long statsNewStampNanos = System.nanoTime();

    /** Every stats_period: rotate the snapshots and log PgBouncer's stats line (PgBouncer's refresh_stats). */
    public void statsTick() {
        statsOldStampNanos = statsNewStampNanos;
        statsNewStampNanos = System.nanoTime();
        dev.poolctl.pooler.stats.StatsSnapshot current = dev.poolctl.pooler.stats.StatsSnapshot.ZERO;
        dev.poolctl.pooler.stats.StatsSnapshot older = dev.poolctl.pooler.stats.StatsSnapshot.ZERO;
        for (Pool p : pools.values()) {
            p.stats().rotate();
            current = current.plus(p.stats().current());
            older = older.plus(p.stats().older());
        }
        if (config.general().logStats()) {
            var a = current.averageSince(older, statsMicros());
            log.log("stats: " + a.xactCount() + " xacts/s, " + a.queryCount() + " queries/s, "
                    + a.clientParseCount() + " client parses/s, " + a.serverParseCount() + " server parses/s, "
                    + a.bindCount() + " binds/s, in " + a.clientBytes() + " B/s, out " + a.serverBytes() + " B/s, xact "
                    + a.xactTimeUs() + " us, query " + a.queryTimeUs() + " us, wait " + a.waitTimeUs() + " us");
        }
    }

    /** Microseconds that averages are computed over (now minus the older snapshot's time). */
    public long statsMicros() {
        return (System.nanoTime() - statsOldStampNanos) / 1_000;
    }

    /** The daemon wires the console once it exists (the console reloads and shuts down through it). */
    public void adminControl(dev.poolctl.pooler.admin.AdminControl control) {
        console = new dev.poolctl.pooler.admin.AdminConsole(this, control);
    }

    public dev.poolctl.pooler.admin.AdminConsole console() {
        return console;
    }

    public void adminLoggedIn(ClientConnection c) {
        adminClients.add(c);
        loggingIn.remove(c);
    }

    public int adminClientCount() {
        return adminClients.size();
    }

    /** Clients logged in to the console, oldest first: SHOW CLIENTS lists them under database pgbouncer. */
    public java.util.Collection<ClientConnection> adminClients() {
        return java.util.Collections.unmodifiableCollection(adminClients);
    }

    public int loginClientCount() {
        return loggingIn.size();
    }

    /** The client is logged in: client_login_timeout no longer applies. */
    public void loginFinished(ClientConnection c) {
        loggingIn.remove(c);
    }

    public void clientClosed(ClientConnection c, ClientState was, ServerConnection server) {
        assert onLoop();
        if (c.admitted()) {
            clientCount--;
        }
        loggingIn.remove(c);
        adminClients.remove(c);
        cancelKeys.remove(c);
        if (c.pool() != null) {
            c.pool().clientClosed(c, server);
        }
    }

    public Pool pool(DatabaseConfig db, String user) {
        assert onLoop();
        PoolKey key = new PoolKey(db.name(), user);
        return pools.computeIfAbsent(key, k -> new Pool(k, db, this));
    }

    // ---- cancels: each client gets its own BackendKeyData (CancelKeys), mapped to whatever server it has ----

    public int newCancelKey(ClientConnection c) {
        assert onLoop();
        return cancelKeys.add(c);
    }

    public int cancelSecret(ClientConnection c) {
        return cancelKeys.secret(c);
    }

    /**
     * A CancelRequest arrived: forwarded to the server the client is linked to, or kept for when a queued client
     * gets one. {@code whenDone} closes the requesting connection: like PgBouncer, only once PostgreSQL has acted
     * on the cancel, so a client that waits for the close knows its cancel has landed.
     */
    public void cancel(int pid, int secret, Runnable whenDone) {
        assert onLoop();
        ClientConnection c = cancelKeys.find(pid, secret);
        if (c == null) {
            log.debug("cancel request for unknown key");
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

    /** Opens the connection that carries a cancel of {@code s}'s query to PostgreSQL. */
    void sendCancel(ServerConnection s, ServerConnector.CancelCallback callback) {
        connector.cancel(s.address(), s.backendPid(), s.backendKey(), config.general().cancelWaitTimeout(), callback);
    }

    // ---- servers ----

    /** Starts a server connection for {@code pool} to {@code host} (null: the default unix socket dir). */
    ServerConnection connect(Pool pool, String host, byte[] scramClientKey) {
        DatabaseConfig db = pool.database();
        String user = pool.key().user();
        Map<String, String> startup = new LinkedHashMap<>();
        startup.put("user", user);
        startup.put("database", db.dbname() != null ? db.dbname() : db.name());
        if (db.clientEncoding() != null) startup.put("client_encoding", db.clientEncoding());
        if (db.datestyle() != null) startup.put("datestyle", db.datestyle());
        if (db.timezone() != null) startup.put("timezone", db.timezone());
        if (db.applicationName() != null) startup.put("application_name", db.applicationName());
        // PgBouncer's order: the database entry's password=, else the auth_file entry of the server user.
        Secret secret = db.password() != null ? Secret.of(db.password()) : userlist.secret(user).orElse(null);
        String address = ServerConnector.describe(host, db.port(), config.general().unixSocketDir());
        ServerLogin login = new ServerLogin(user, address, startup, secret, scramClientKey);
        ServerConnection s = new ServerConnection(nextId(), pool, login, System.nanoTime());
        connector.connect(s, host, db.port());
        return s;
    }

    /** max_db_connections and max_user_connections, counted over all pools. */
    boolean serverLimitsAllow(DatabaseConfig db, String user) {
        int maxDb = config.maxDbConnections(db);
        int maxUser = config.maxUserConnections(user);
        if (maxDb <= 0 && maxUser <= 0) {
            return true;
        }
        int dbCount = 0;
        int userCount = 0;
        for (Pool p : pools.values()) {
            if (p.key().database().equals(db.name())) dbCount += p.serverCount();
            if (p.key().user().equals(user)) userCount += p.serverCount();
        }
        return (maxDb <= 0 || dbCount < maxDb) && (maxUser <= 0 || userCount < maxUser);
    }

    /** Frees a server slot for {@code needy}: closes an idle server of another pool sharing its database or user. */
    boolean evictIdleServer(Pool needy) {
        for (Pool p : pools.values()) {
            if (p != needy && p.idleCount() > 0
                    && (p.key().database().equals(needy.key().database()) || p.key().user().equals(needy.key().user()))
                    && p.evictIdle()) {
                return true;
            }
        }
        return false;
    }

    public void janitor() {
        assert onLoop();
        long now = System.nanoTime();
        if (console != null) {
            console.tick();
        }
        long loginTimeout = config.general().clientLoginTimeout().toNanos();
        if (loginTimeout > 0) {
            for (ClientConnection c : new ArrayList<>(loggingIn)) {
                if (now - c.connectNanos() <= loginTimeout) {
                    break; // oldest first: the rest are younger
                }
                loggingIn.remove(c);
                // Clients waiting for a server login get "(server down)" from their pool's janitor.
                if (c.state() == ClientState.STARTUP || c.state() == ClientState.AUTH) {
                    c.fail(dev.poolctl.pooler.protocol.PgProtocol.PROTOCOL_VIOLATION, "client_login_timeout");
                }
            }
        }
        for (Pool p : new ArrayList<>(pools.values())) {
            p.janitor(now);
        }
        for (String db : autoDatabases.expired(pools.values(), config, now, this::isPaused)) {
            pools.keySet().removeIf(k -> k.database().equals(db));
            log.log("auto-database " + db + " removed after autodb_idle_timeout");
        }
    }

    /** Stop admitting clients and close everything. */
    public void shutdown(String reason) {
        assert onLoop();
        shuttingDown = true;
        for (Pool p : new ArrayList<>(pools.values())) {
            p.closeAll(reason);
        }
        for (ClientConnection c : new ArrayList<>(adminClients)) {
            c.close("pooler shutting down");
        }
    }

    public Set<PoolKey> poolKeys() {
        return Collections.unmodifiableSet(pools.keySet());
    }
}

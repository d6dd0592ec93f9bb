package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.hazard.Hazard;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.session.ClientState;
import dev.poolctl.pooler.session.ServerConnection;
import dev.poolctl.pooler.session.ServerState;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The server connections of one (database, user) and the clients queued for them (PgBouncer's PgPool).
 * A connection's state is the collection it sits in; everything runs on the one event loop.
 */
public final class Pool {
    private final PoolKey key;
    private final PoolManager manager;
    private DatabaseConfig db;
    private PoolMode mode;

    private final ArrayDeque<ServerConnection> idle = new ArrayDeque<>();
    private final Set<ServerConnection> active = new LinkedHashSet<>();
    private final Set<ServerConnection> used = new LinkedHashSet<>();
    private final Set<ServerConnection> login = new LinkedHashSet<>();
    private final ArrayDeque<ClientConnection> waiting = new ArrayDeque<>();
    private final List<ClientConnection> loginWaiters = new ArrayList<>();
    private final Set<ClientConnection> clients = new LinkedHashSet<>();
    private final PoolCancels<ServerConnection> cancels = new PoolCancels<>(this::cancelsFinished);

    /** ParameterStatus of the first server login: what every client of this pool is welcomed with. */
    private Map<String, String> welcome;
    /** {@link #welcome} by lower-case name, for the varcache comparison on every link. */
    private Map<String, String> defaults = Map.of();
    private String loginErrorState;
    private String loginError;
    private long loginErrorNanos;
    private byte[] scramClientKey;
    private int nextHost;
    private final dev.poolctl.pooler.stats.PoolStats stats = new dev.poolctl.pooler.stats.PoolStats();
    private final long[] hazards = new long[Hazard.values().length];

    Pool(PoolKey key, DatabaseConfig db, PoolManager manager) {
        this.key = key;
        this.manager = manager;
        configure(db);
    }

    /** Applies a (re)loaded database entry. */
    void configure(DatabaseConfig db) {
        this.db = db;
        this.mode = manager.config().poolMode(db, key.user());
    }

    public PoolKey key() { return key; }
    public dev.poolctl.pooler.stats.PoolStats stats() { return stats; }
    public DatabaseConfig database() { return db; }
    public PoolMode mode() { return mode; }
    public PoolerLog log() { return manager.log(); }
    public dev.poolctl.pooler.prepare.StatementRegistry statementRegistry() { return manager.statementRegistry(); }

    /**
     * Whether a client logging in now gets its named prepared statements rewritten (PgBouncer: not in session
     * mode, and max_prepared_statements above 0). Decided once per client: a reload applies to new clients.
     */
    public boolean rewritesPreparedStatements() {
        return mode != PoolMode.SESSION && general().maxPreparedStatements() > 0;
    }

    public int maxPreparedStatements() {
        return general().maxPreparedStatements();
    }
    public int idleCount() { return idle.size(); }
    public int activeCount() { return active.size(); }
    public int usedCount() { return used.size(); }
    public int testedCount() { return (int) used.stream().filter(s -> s.state() == ServerState.TESTED).count(); }
    public int loginCount() { return login.size(); }
    public int waitingCount() { return waiting.size(); }
    public int clientCount() { return clients.size(); }
    public int serverCount() { return idle.size() + active.size() + used.size() + login.size() + beingCanceledCount(); }
    /** cl_waiting_cancel_req (no connection yet, or queued client); cl_active_cancel_req = sv_active_cancel. */
    public int waitingCancelRequestCount() { return cancels.waitingRequestCount() + (int) waiting.stream()
            .filter(ClientConnection::cancelPending).count(); }
    public int activeCancelRequestCount() { return cancels.activeRequestCount(); }
    public int beingCanceledCount() { return cancels.beingCanceledCount(); }

    /** Linked clients (cl_active): PgBouncer counts a pool's logged-in clients without a server as active too. */
    public int activeClientCount() { return clients.size() - waiting.size() - loginWaiters.size(); }

    /** How long the oldest queued client has waited, in nanoseconds (SHOW POOLS maxwait). */
    public long maxWaitNanos(long now) {
        ClientConnection first = waiting.peekFirst();
        return first == null ? 0 : now - first.stateSinceNanos();
    }

    /** Clients by SHOW CLIENTS state: waiting ones are "waiting", the rest "active" (shown "idle" when unlinked). */
    public List<ClientConnection> clients() { return List.copyOf(clients); }

    /** Servers in PgBouncer's list order: active, idle, used, tested, new (login). */
    public List<ServerConnection> servers() {
        List<ServerConnection> all = new ArrayList<>(active);
        all.addAll(idle);
        all.addAll(used);
        all.addAll(login);
        all.addAll(cancels.beingCanceled());
        return all;
    }

    private GeneralSettings general() {
        return manager.config().general();
    }

    int poolSize() {
        return manager.config().poolSize(db, key.user());
    }

    int reservePoolSize() {
        return manager.config().reservePoolSize(db, key.user());
    }

    int minPoolSize() {
        return manager.config().minPoolSize(db);
    }

    /** The server's original value of a tracked parameter: what a client that never set it gets. */
    public String defaultParameter(String lowerName) {
        return defaults.get(lowerName);
    }

    /** Whether the servers report this parameter with ParameterStatus (it was in the first login's welcome). */
    public boolean isReported(String lowerName) {
        return defaults.containsKey(lowerName);
    }

    /** Every parameter the servers report, by lower-case name. */
    public Set<String> reportedParameters() {
        return defaults.keySet();
    }

    /** A client of this pool did something transaction pooling cannot carry (SHOW HAZARDS). */
    public void countHazard(Hazard h) {
        hazards[h.ordinal()]++;
    }

    public long hazardCount(Hazard h) {
        return hazards[h.ordinal()];
    }

    public void rememberScramKey(byte[] clientKey) {
        scramClientKey = clientKey;
    }

    // ---- clients ----

    /** An authenticated client needs the server parameters for its welcome. */
    public void clientLoginWait(ClientConnection c) {
        assert manager.onLoop();
        clients.add(c);
        if (welcome != null) {
            c.finishLogin(welcome);
            return;
        }
        if (loginFailingRecently()) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION,
                    "server login has been failing, cached error: " + loginError + " (server_login_retry)");
            return;
        }
        loginWaiters.add(c);
        if (login.isEmpty() && canOpen(false)) {
            launch();
        }
    }

    /**
     * Fast path for a client's request: an idle server, linked at once, when nobody is queued before it;
     * null when the client has to queue with {@link #requestServer}.
     */
    public ServerConnection takeReadyServer(ClientConnection c) {
        assert manager.onLoop();
        if (!waiting.isEmpty() || manager.isPaused(key.database())) {
            return null;
        }
        ServerConnection s = takeIdle();
        if (s != null) {
            active.add(s);
            s.link(c, System.nanoTime());
            c.linkedNow(s);
            stats.serverAssignmentCount++;
        }
        return s;
    }

    /** A logged-in client sent a request and has no server: queue it (cl_waiting) and hand out servers. */
    public void requestServer(ClientConnection c) {
        assert manager.onLoop();
        waiting.addLast(c);
        dispatch(false);
    }

    public void clientClosed(ClientConnection c, ServerConnection server) {
        assert manager.onLoop();
        clients.remove(c);
        loginWaiters.remove(c);
        waiting.remove(c);
        if (server == null) {
            return;
        }
        active.remove(server);
        // Judge before unlinking: unlink forgets the ReadyForQuery messages the client's requests still owe.
        boolean quiet = server.isQuiet();
        server.unlink(System.nanoTime());
        if (!server.channel().isOpen()) {
            return;
        }
        if (!quiet) {
            // Mid-transaction or mid-query: no way to know what state the server is in. Never reuse it.
            server.close("client disconnect while server was not ready");
            return;
        }
        String reset = general().serverResetQuery();
        boolean resetNeeded = mode == PoolMode.SESSION || general().serverResetQueryAlways();
        release(server, resetNeeded && reset != null && !reset.isBlank());
    }

    /**
     * The server's client is done with it: back to the pool (after server_reset_query when {@code reset}), or held
     * being canceled while a cancel for its client's query is still in flight.
     */
    private void release(ServerConnection server, boolean reset) {
        if (cancels.holdWhileCanceling(server, reset)) {
            server.transition(ServerState.BEING_CANCELED);
            return;
        }
        if (reset) {
            server.transition(ServerState.USED);
            used.add(server);
            server.sendInternal(general().serverResetQuery());
        } else {
            serverReady(server);
        }
    }

    /** The last cancel for a held server has finished: now it can be reused. */
    private void cancelsFinished(ServerConnection server, boolean reset) {
        if (server.state() != ServerState.CLOSED && server.channel() != null && server.channel().isOpen()) {
            release(server, reset);
        }
    }

    /**
     * Sends a cancel for the query {@code server} runs; {@code whenDone} (may be null) runs once PostgreSQL has
     * acted on it. Until then the server is not given to another client.
     */
    public void forwardCancel(ServerConnection server, Runnable whenDone) {
        assert manager.onLoop();
        manager.sendCancel(server, cancels.add(server, whenDone));
    }

    // ---- handing out servers ----

    private void dispatch(boolean reserveAllowed) {
        if (manager.isPaused(key.database())) {
            return; // PAUSE/SUSPEND/KILL: clients queue until RESUME
        }
        while (!waiting.isEmpty()) {
            ServerConnection s = takeIdle();
            if (s == null) {
                break;
            }
            link(waiting.pollFirst(), s);
        }
        int needed = waiting.size() - login.size() - used.size();
        while (needed > 0 && canOpen(reserveAllowed)) {
            launch();
            needed--;
        }
    }

    private ServerConnection takeIdle() {
        long now = System.nanoTime();
        while (!idle.isEmpty()) {
            ServerConnection s = general().serverRoundRobin() ? idle.pollLast() : idle.pollFirst();
            String expired = expiredReason(s, now);
            if (expired != null) {
                s.close(expired);
                continue;
            }
            String check = general().serverCheckQuery();
            Duration delay = general().serverCheckDelay();
            if (check != null && !check.isEmpty() && now - s.lastUsedNanos() > delay.toNanos()) {
                s.transition(ServerState.TESTED);
                used.add(s);
                s.sendInternal(check.equals("<empty>") ? "" : check);
                continue;
            }
            return s;
        }
        return null;
    }

    private void link(ClientConnection c, ServerConnection s) {
        long now = System.nanoTime();
        stats.serverAssignmentCount++;
        stats.waitTimeUs += (now - c.stateSinceNanos()) / 1_000;
        active.add(s);
        s.link(c, now);
        c.linked(s);
    }

    private String expiredReason(ServerConnection s, long now) {
        if (s.closeNeeded()) {
            return "server marked close_needed";
        }
        Duration lifetime = manager.config().serverLifetime(db);
        if (!lifetime.isZero() && now - s.connectNanos() > lifetime.toNanos()) {
            return "server lifetime over";
        }
        return null;
    }

    private boolean canOpen(boolean reserveAllowed) {
        if (loginFailingRecently() || manager.isPaused(key.database())) {
            return false;
        }
        int limit = poolSize() + (reserveAllowed ? reservePoolSize() : 0);
        if (serverCount() >= limit) {
            return false;
        }
        if (manager.serverLimitsAllow(db, key.user())) {
            return true;
        }
        // max_db_connections / max_user_connections reached: like PgBouncer, when clients are waiting here,
        // close an idle server of another pool to make room (never just to reach min_pool_size).
        boolean clientsWaiting = !waiting.isEmpty() || !loginWaiters.isEmpty();
        return clientsWaiting && manager.evictIdleServer(this) && manager.serverLimitsAllow(db, key.user());
    }

    /** Closes one idle server (for another pool that hit a shared limit); false when there is none. */
    boolean evictIdle() {
        ServerConnection s = idle.pollLast();
        if (s == null) {
            return false;
        }
        s.close("evicted for another pool (max_db_connections/max_user_connections)");
        return true;
    }

    private boolean loginFailingRecently() {
        return loginError != null
                && System.nanoTime() - loginErrorNanos < general().serverLoginRetry().toNanos();
    }

    private void launch() {
        List<String> hosts = db.hosts();
        String host = hosts.isEmpty() ? null : hosts.get(Math.floorMod(nextHost++, hosts.size()));
        login.add(manager.connect(this, host, scramClientKey));
    }

    // ---- server events ----

    /** Whether the server goes back to the pool at this ReadyForQuery (transaction and statement mode). */
    public boolean releasableAt(ServerConnection s) {
        return mode != PoolMode.SESSION && s.isQuiet();
    }

    /** Statement mode and the server is still in a transaction after the statement. */
    public boolean refusesTransaction(ServerConnection s) {
        return mode == PoolMode.STATEMENT && s.client() != null && s.txStatus() != PgProtocol.TX_IDLE;
    }

    public void statementModeViolation(ServerConnection s) {
        assert manager.onLoop();
        ClientConnection c = s.client();
        active.remove(s);
        s.unlink(System.nanoTime());
        s.close("transaction blocks not allowed in statement pooling mode");
        if (c != null) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION, "transaction blocks not allowed in statement pooling mode");
        }
    }

    /** Called after the ReadyForQuery that released the server was forwarded. */
    public void readyForQuery(ServerConnection s) {
        assert manager.onLoop();
        ClientConnection c = s.client();
        active.remove(s);
        s.unlink(System.nanoTime());
        if (c != null) {
            c.released();
        }
        release(s, false);
    }

    /** A reset or check query finished. */
    public void internalQueryDone(ServerConnection s) {
        assert manager.onLoop();
        boolean checked = s.state() == ServerState.TESTED;
        used.remove(s);
        if (s.txStatus() != PgProtocol.TX_IDLE || s.closeNeeded()) {
            s.close("reset or check query failed");
            return;
        }
        s.touch(System.nanoTime());
        if (checked && !waiting.isEmpty() && expiredReason(s, System.nanoTime()) == null) {
            // Just proven alive: hand it to the first waiter rather than back through takeIdle(), which would
            // check it again (with server_check_delay = 0, for ever).
            link(waiting.pollFirst(), s);
            return;
        }
        serverReady(s);
    }

    public void serverLoggedIn(ServerConnection s) {
        assert manager.onLoop();
        login.remove(s);
        loginError = null;
        if (welcome == null) {
            welcome = Collections.unmodifiableMap(new LinkedHashMap<>(s.welcome()));
            Map<String, String> lower = new java.util.HashMap<>();
            welcome.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
            defaults = lower;
        }
        if (general().logConnections()) {
            log().log(s.prefix() + " new connection to server");
        }
        List<ClientConnection> ready = new ArrayList<>(loginWaiters);
        loginWaiters.clear();
        for (ClientConnection c : ready) {
            c.finishLogin(welcome);
        }
        serverReady(s);
    }

    public void serverLoginFailed(ServerConnection s, String sqlState, String message) {
        assert manager.onLoop();
        loginErrorState = sqlState;
        loginError = message;
        loginErrorNanos = System.nanoTime();
        log().warning(s.prefix() + " server login failed: " + message);
        List<ClientConnection> failed = new ArrayList<>(loginWaiters);
        loginWaiters.clear();
        for (ClientConnection c : failed) {
            c.fail(sqlState, message);
        }
    }

    /** The server can take a client: idle it, or close it if it is due to go. */
    private void serverReady(ServerConnection s) {
        String expired = expiredReason(s, System.nanoTime());
        if (expired == null && manager.isPaused(key.database())) {
            expired = "pause mode"; // PAUSE disconnects every server once it is released
        }
        if (expired != null || manager.isShuttingDown()) {
            s.close(expired != null ? expired : "pooler shutting down");
            return;
        }
        s.transition(ServerState.IDLE);
        idle.addFirst(s);
        dispatch(false);
    }

    public void serverClosed(ServerConnection s, String reason) {
        assert manager.onLoop();
        idle.remove(s);
        active.remove(s);
        used.remove(s);
        login.remove(s);
        cancels.serverClosed(s);
        ClientConnection c = s.client();
        s.markClosed();
        if (general().logDisconnections()) {
            long age = (System.nanoTime() - s.connectNanos()) / 1_000_000_000L;
            log().log(s.prefix() + " closing because: " + reason + " (age=" + age + "s)");
        }
        if (c != null && c.state() == ClientState.ACTIVE) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION, "server conn crashed?");
        }
        if (!manager.isShuttingDown()) {
            dispatch(false);
        }
    }

    // ---- janitor ----

    /** Timeouts, lifetimes and min_pool_size; PgBouncer's janitor.c, run a few times a second. */
    void janitor(long now) {
        assert manager.onLoop();
        GeneralSettings g = general();
        ClientTimeouts.apply(g, now, loginWaiters, waiting, clients);
        // A smaller pool_size after RELOAD/SET: idle servers above the new limit go (PgBouncer's janitor).
        while (!idle.isEmpty() && serverCount() > poolSize() + reservePoolSize()) {
            idle.pollLast().close("too many servers in the pool");
        }
        Duration serverIdle = g.serverIdleTimeout();
        for (ServerConnection s : new ArrayList<>(idle)) {
            String expired = expiredReason(s, now);
            if (expired == null && !serverIdle.isZero() && now - s.lastUsedNanos() > serverIdle.toNanos()
                    && serverCount() > minPoolSize()) {
                expired = "server idle timeout";
            }
            if (expired != null) {
                idle.remove(s);
                s.close(expired);
            }
        }
        Duration connectTimeout = g.serverConnectTimeout();
        for (ServerConnection s : new ArrayList<>(login)) {
            if (!connectTimeout.isZero() && now - s.connectNanos() > connectTimeout.toNanos()) {
                loginErrorState = PgProtocol.CONNECTION_FAILURE;
                loginError = "server connect timeout";
                loginErrorNanos = now;
                s.close("connect timeout");
            }
        }
        if (!waiting.isEmpty()) {
            boolean reserve = reservePoolSize() > 0
                    && now - waiting.peekFirst().stateSinceNanos() > g.reservePoolTimeout().toNanos();
            dispatch(reserve);
        }
        if (!loginWaiters.isEmpty() && login.isEmpty() && canOpen(false)) {
            launch();
        }
        if ((db.user() != null || !clients.isEmpty()) && !manager.isShuttingDown()) {
            while (serverCount() < minPoolSize() && canOpen(false)) {
                launch();
            }
        }
    }

    /** After RESUME: hand out servers to the queue again. */
    void resumeDispatch() {
        dispatch(false);
    }

    /** Closes the idle servers now (PAUSE). */
    void closeIdle(String reason) {
        for (ServerConnection s : new ArrayList<>(idle)) {
            idle.remove(s);
            s.close(reason);
        }
    }

    /** Marks every server for closing at release (RECONNECT, changed connect string). */
    void markAllCloseNeeded() {
        for (ServerConnection s : new ArrayList<>(idle)) {
            idle.remove(s);
            s.close("database configuration changed");
        }
        active.forEach(ServerConnection::markCloseNeeded);
        cancels.beingCanceled().forEach(ServerConnection::markCloseNeeded);
        used.forEach(ServerConnection::markCloseNeeded);
        login.forEach(ServerConnection::markCloseNeeded);
    }

    /** Closes everything (shutdown). */
    void closeAll(String reason) {
        for (ClientConnection c : new ArrayList<>(clients)) {
            c.fail(PgProtocol.ADMIN_SHUTDOWN, reason);
        }
        for (ServerConnection s : new ArrayList<>(idle)) {
            s.close(reason);
        }
        for (ServerConnection s : new ArrayList<>(used)) {
            s.close(reason);
        }
        for (ServerConnection s : new ArrayList<>(login)) {
            s.close(reason);
        }
        for (ServerConnection s : new ArrayList<>(active)) {
            s.close(reason);
        }
        for (ServerConnection s : cancels.beingCanceled()) {
            s.close(reason);
        }
    }
}

package dev.poolctl.pooler.pool;

import static dev.poolctl.pooler.pool.ClientState.ACTIVE;
import static dev.poolctl.pooler.pool.ClientState.IDLE;
import static dev.poolctl.pooler.pool.ClientState.LOGIN_WAIT;
import static dev.poolctl.pooler.pool.ClientState.WAITING;

import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.PoolMode;
import dev.poolctl.pooler.hazard.Hazard;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.prepare.StatementRegistry;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.stats.PoolStats;
import java.util.ArrayList;
import java.util.List;

/**
 * The server connections of one (database, user) and the clients queued for them (PgBouncer's PgPool). A
 * connection's state is the list it sits in ({@link StateLists}); every change goes through {@link #move}.
 * Confined to its manager's event loop; time comes from the manager's {@link Clock}.
 */
public final class Pool {
    private final PoolKey key;
    private final PoolManager manager;
    private DatabaseConfig db;
    private PoolMode mode;
    private PoolSettings settings;

    private final StateLists<ClientState, PoolClient> clients = StateLists.clients();
    private final StateLists<ServerState, PoolServer> servers = StateLists.servers();
    private final PoolCancels<PoolServer> cancels = new PoolCancels<>(this::cancelsFinished);
    private final ServerWelcome welcome = new ServerWelcome();
    private final PoolStats stats = new PoolStats();
    private final long[] hazards = new long[Hazard.values().length];
    private final PoolCredentials credentials = new PoolCredentials();
    private final HostList hosts = new HostList();
    private final ReplicationLinks replication = new ReplicationLinks(this);

    Pool(PoolKey key, DatabaseConfig db, PoolManager manager) {
        this.key = key;
        this.manager = manager;
        configure(db);
    }

    /** Applies a (re)loaded configuration: the pool's database entry and every setting it acts on. */
    void configure(DatabaseConfig db) {
        this.db = db;
        this.settings = PoolSettings.resolve(manager.config(), db, key.user());
        this.mode = settings.mode();
    }

    public PoolKey key() { return key; }
    public PoolStats stats() { return stats; }
    public DatabaseConfig database() { return db; }
    public PoolMode mode() { return mode; }
    public PoolerLog log() { return manager.log(); }
    public StatementRegistry statementRegistry() { return manager.statementRegistry(); }
    /** The server parameters of the first login: client welcome and varcache defaults. */
    public ServerWelcome welcome() { return welcome; }
    /** Which host of the database's list the next server connects to, and how the list fails over. */
    public HostList hosts() { return hosts; }

    /**
     * Whether a client logging in now gets its named prepared statements rewritten (PgBouncer: not in session
     * mode, and max_prepared_statements above 0). Decided once per client: a reload applies to new clients.
     */
    public boolean rewritesPreparedStatements() {
        return mode != PoolMode.SESSION && settings.maxPreparedStatements() > 0;
    }

    public int maxPreparedStatements() { return settings.maxPreparedStatements(); }
    /** max_packet_size: read at every client message, so not from the config maps. */
    public int maxPacketSize() { return settings.maxPacketSize(); }
    public int idleCount() { return servers.size(ServerState.IDLE); }
    public int activeCount() { return servers.size(ServerState.ACTIVE); }
    /** sv_used plus sv_tested (SHOW POOLS shows them apart). */
    public int usedCount() { return servers.size(ServerState.USED) + testedCount(); }
    public int testedCount() { return servers.size(ServerState.TESTED); }
    public int loginCount() { return servers.size(ServerState.LOGIN); }
    public int beingCanceledCount() { return servers.size(ServerState.BEING_CANCELED); }
    public int waitingCount() { return clients.size(WAITING); }
    public int clientCount() { return clients.size(LOGIN_WAIT) + activeClientCount() + clients.size(WAITING); }
    public int serverCount() { return idleCount() + activeCount() + usedCount() + loginCount() + beingCanceledCount(); }
    /** cl_waiting_cancel_req (no connection yet, or queued client); cl_active_cancel_req = sv_active_cancel. */
    public int waitingCancelRequestCount() {
        return cancels.waitingRequestCount()
                + (int) clients.list(WAITING).stream().filter(PoolClient::cancelPending).count();
    }
    public int activeCancelRequestCount() { return cancels.activeRequestCount(); }

    /** Logged-in clients that are not queued (cl_active): PgBouncer counts those without a server as active too. */
    public int activeClientCount() { return clients.size(IDLE) + clients.size(ACTIVE); }

    /** cl_waiting: clients queued for a server, and (as PgBouncer's waiting list holds) for the pool's first login. */
    public int queuedCount() { return clients.size(WAITING) + clients.size(LOGIN_WAIT); }
    /** How long the oldest client of {@link #queuedCount} has waited, since it was queued (SHOW POOLS maxwait). */
    public long maxWaitNanos(long now) { long t = clients.firstSince(WAITING, LOGIN_WAIT); return t < 0 ? 0 : now - t; }

    /** The pool's clients: waiting for login, idle, waiting, active. */
    public List<PoolClient> clients() { return clients.list(LOGIN_WAIT, IDLE, WAITING, ACTIVE); }

    /** Servers in PgBouncer's list order: active, idle, used, tested, new (login), being canceled. */
    public List<PoolServer> servers() {
        return servers.list(ServerState.ACTIVE, ServerState.IDLE, ServerState.USED, ServerState.TESTED,
                ServerState.LOGIN, ServerState.BEING_CANCELED);
    }

    GeneralSettings general() { return manager.config().general(); }
    private long now() { return manager.clock().nanoTime(); }
    /** What the janitor acts on: sizes and timeouts as resolved for this pool. */
    PoolSettings settings() { return settings; }

    /** A client of this pool did something transaction pooling cannot carry (SHOW HAZARDS). */
    public void countHazard(Hazard h) { hazards[h.ordinal()]++; }
    public long hazardCount(Hazard h) { return hazards[h.ordinal()]; }
    /** What server logins use besides auth_file: from the logins of the pool's clients. */
    public PoolCredentials credentials() { return credentials; }

    /** The only way a client's state changes here; illegal edges throw. */
    private void move(PoolClient c, ClientState to) {
        clients.move(c.entry(), to, now());
    }

    private void move(PoolServer s, ServerState to) {
        servers.move(s.entry(), to, now());
    }

    // ---- clients ----

    /** An authenticated client needs the server parameters for its welcome. */
    public void clientLoginWait(PoolClient c) {
        assert manager.onLoop();
        move(c, LOGIN_WAIT);
        if (c.replication() != Replication.NONE) { replication.request(c); return; } // a server of its own
        if (welcome.isKnown()) {
            move(c, IDLE);
            c.finishLogin(welcome.statusSet());
            return;
        }
        if (welcome.loginFailingRecently(now(), settings.loginRetryNanos())) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION,
                    "server login has been failing, cached error: " + welcome.loginError() + " (server_login_retry)");
            return;
        }
        if (replication.normalLogins() == 0 && canOpen(false)) {
            launch();
        }
    }

    /**
     * Fast path for a client's request: an idle server, linked at once, when nobody is queued before it;
     * null when the client has to {@link #queue}.
     */
    public PoolServer takeReadyServer(PoolClient c) {
        assert manager.onLoop();
        if (!clients.isEmpty(WAITING) || manager.isPaused(key.database())) {
            return null;
        }
        PoolServer s = takeIdle();
        if (s != null) {
            long now = now(); // one clock read for the three: this runs for most transactions
            servers.move(s.entry(), ServerState.ACTIVE, now);
            clients.move(c.entry(), ACTIVE, now);
            s.link(c, now);
            stats.assigned(0);
        }
        return s;
    }

    /**
     * A client that is still logging in needs a server of this pool for the auth_query: as in PgBouncer, it queues
     * like a request (cl_waiting) and is linked in turn. {@code c} is new here, in state IDLE.
     */
    public void authQuery(PoolClient c) {
        clients.enter(c.entry());
        queue(c);
        dispatch(false);
    }

    /** A logged-in client sent a request and no server was ready: it joins the queue (cl_waiting). */
    public void queue(PoolClient c) {
        assert manager.onLoop();
        move(c, WAITING);
    }

    /** After a client queued (outside its read), and after RESUME: hand out servers. */
    public void serveQueue() {
        assert manager.onLoop();
        dispatch(false);
    }

    /** The client is gone; {@code server} was linked to it (or null). */
    void clientClosed(PoolClient c, PoolServer server) {
        move(c, ClientState.CLOSED);
        if (c.replication() != Replication.NONE) { replication.clientClosed(c, server); return; }
        if (server == null || server.state() != ServerState.ACTIVE) {
            return;
        }
        // Judge before unlinking: unlink forgets the ReadyForQuery messages the client's requests still owe.
        boolean quiet = server.isQuiet();
        server.unlink(now());
        if (!server.isOpen()) {
            return;
        }
        if (!quiet) {
            // Mid-transaction or mid-query: no way to know what state the server is in. Never reuse it.
            retire(server, "client disconnect while server was not ready");
            return;
        }
        boolean resetNeeded = mode == PoolMode.SESSION || settings.resetAlways();
        release(server, resetNeeded && settings.resetQuery() != null);
    }

    /**
     * The server's client is done with it: back to the pool (after server_reset_query when {@code reset}), or held
     * being canceled while a cancel for its client's query is still in flight.
     */
    private void release(PoolServer server, boolean reset) {
        if (cancels.holdWhileCanceling(server, reset)) {
            move(server, ServerState.BEING_CANCELED);
        } else if (reset) {
            move(server, ServerState.USED);
            server.sendInternal(settings.resetQuery());
        } else {
            serverReady(server);
        }
    }

    /** The last cancel for a held server has finished: now it can be reused. */
    private void cancelsFinished(PoolServer server, boolean reset) {
        if (server.state() == ServerState.BEING_CANCELED && server.isOpen()) {
            release(server, reset);
        }
    }

    /**
     * Sends a cancel for the query {@code server} runs; {@code whenDone} (may be null) runs once PostgreSQL has
     * acted on it. Until then the server is not given to another client.
     */
    public void forwardCancel(PoolServer server, Runnable whenDone) {
        assert manager.onLoop();
        manager.launcher().cancel(server, cancels.add(server, whenDone));
    }

    // ---- handing out servers ----

    void dispatch(boolean reserveAllowed) {
        if (manager.isPaused(key.database())) {
            return; // PAUSE/SUSPEND/KILL: clients queue until RESUME
        }
        while (!clients.isEmpty(WAITING)) {
            PoolServer s = takeIdle();
            if (s == null) {
                break;
            }
            link(clients.first(WAITING), s);
        }
        int needed = waitingCount() - replication.normalLogins() - usedCount();
        while (needed > 0 && canOpen(reserveAllowed) && launch()) {
            needed--;
        }
        replication.dispatch(); // after the queue took the idle servers: what is left may be evicted
    }

    /** An idle server that may serve now, or null; expired ones close, due ones go to server_check_query. */
    private PoolServer takeIdle() {
        long now = now();
        while (!servers.isEmpty(ServerState.IDLE)) {
            PoolServer s = settings.roundRobin() ? servers.last(ServerState.IDLE) : servers.first(ServerState.IDLE);
            String expired = expiredReason(s, now);
            if (expired != null) {
                disconnect(s, expired);
                continue;
            }
            if (settings.dueForCheck(s, now)) {
                move(s, ServerState.TESTED);
                s.sendInternal(settings.checkQuery());
                continue;
            }
            return s;
        }
        return null;
    }

    private void link(PoolClient c, PoolServer s) {
        long now = now();
        stats.assigned((now - c.entry().sinceNanos()) / 1_000);
        servers.move(s.entry(), ServerState.ACTIVE, now);
        clients.move(c.entry(), ACTIVE, now);
        s.link(c, now);
        c.linked(s);
    }

    String expiredReason(PoolServer s, long now) {
        if (s.closeNeeded()) {
            return "server marked close_needed";
        }
        if (settings.lifetimeOver(s, now)) {
            return "server lifetime over";
        }
        return null;
    }

    boolean canOpen(boolean reserveAllowed) {
        if (welcome.loginFailingRecently(now(), settings.loginRetryNanos()) || manager.isPaused(key.database())) {
            return false;
        }
        int limit = settings.poolSize() + (reserveAllowed ? settings.reservePoolSize() : 0);
        if (serverCount() >= limit) {
            return false;
        }
        if (manager.limits().allow(db, key.user())) {
            return true;
        }
        // max_db_connections / max_user_connections reached: like PgBouncer, when clients are waiting here,
        // close an idle server of another pool to make room (never just to reach min_pool_size).
        boolean clientsWaiting = !clients.isEmpty(WAITING) || !clients.isEmpty(LOGIN_WAIT);
        return clientsWaiting && manager.limits().evictIdleServer(this) && manager.limits().allow(db, key.user());
    }

    /** Opens a server; false when another loop took the last max_user_connections slot since canOpen. */
    boolean launch() {
        PoolServer s = manager.launch(this, hosts.pick(db), java.util.Map.of());
        if (s == null) {
            return false;
        }
        servers.enter(s.entry());
        s.connect(); // after entering: a connect that fails at once reports a server the pool knows
        return true;
    }

    // ---- server events ----

    /** Whether the server goes back to the pool at this ReadyForQuery (transaction, statement mode; drain). */
    public boolean releasableAt(PoolServer s) {
        return (mode != PoolMode.SESSION || manager.stopping().isDraining()) && s.isQuiet()
                && s.replication() == Replication.NONE; // a replication server is its client's for life
    }

    /** Statement mode and the server is still in a transaction after the statement. */
    public boolean refusesTransaction(PoolServer s) {
        return mode == PoolMode.STATEMENT && s.client() != null && s.txStatus() != PgProtocol.TX_IDLE
                && s.replication() == Replication.NONE;
    }

    public void statementModeViolation(PoolServer s) {
        assert manager.onLoop();
        PoolClient c = s.client();
        s.unlink(now());
        retire(s, "transaction blocks not allowed in statement pooling mode");
        if (c != null) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION, "transaction blocks not allowed in statement pooling mode");
        }
    }

    /** Called after the ReadyForQuery that released the server was forwarded. */
    public void readyForQuery(PoolServer s) {
        assert manager.onLoop();
        PoolClient c = s.client();
        long now = now();
        s.unlink(now);
        if (c != null && c.state() == ACTIVE) {
            clients.move(c.entry(), IDLE, now);
            c.released();
        }
        release(s, mode == PoolMode.SESSION && settings.resetQuery() != null); // session mode: only when draining
        if (c != null) {
            manager.stopping().transactionEnded(c, now);
        }
    }

    /** A reset or check query finished. */
    public void internalQueryDone(PoolServer s) {
        assert manager.onLoop();
        if (s.txStatus() != PgProtocol.TX_IDLE || s.closeNeeded()) {
            retire(s, "reset or check query failed");
            return;
        }
        long now = now();
        s.touch(now);
        if (s.state() == ServerState.TESTED && !clients.isEmpty(WAITING) && expiredReason(s, now) == null) {
            // Just proven alive: hand it to the first waiter rather than back through takeIdle(), which would
            // check it again (with server_check_delay = 0, for ever).
            link(clients.first(WAITING), s);
            return;
        }
        serverReady(s);
    }

    public void serverLoggedIn(PoolServer s) {
        assert manager.onLoop();
        hosts.succeeded(s.host(), s.standby());
        if (general().logConnections()) {
            log().log(s.prefix() + ServerLogLines.connected(s));
        }
        if (replication.loggedIn(s)) return; // linked to its own client, which gets its welcome
        welcome.loggedIn(s.welcome());
        for (PoolClient c : ReplicationLinks.normalOnly(clients.list(LOGIN_WAIT))) {
            move(c, IDLE);
            c.finishLogin(welcome.statusSet());
        }
        serverReady(s);
    }

    public void serverLoginFailed(PoolServer s, String sqlState, String severity, String message) {
        assert manager.onLoop();
        if (replication.loginFailed(s, sqlState, message)) return; // its client's alone: nothing cached
        if (LoginRetry.hostFailed(this, s, severity, message, LoginRetry.notAccepting(sqlState))) {
            return; // the next host of the list is tried: the waiting clients wait for it
        }
        // A failed connect or "starting up": the clients wait for the next attempt, as in PgBouncer (bounded by
        // client_login_timeout and query_wait_timeout); those that arrive meanwhile get the cached error.
        if (PgProtocol.CONNECTION_FAILURE.equals(sqlState) || "57P03".equals(sqlState)) return;
        // PgBouncer's kill_pool_logins: the server refused, so the clients waiting for the first login get its error
        // now, and the queued ones when no server is usable (RECONNECT marks servers to close when released).
        List<PoolClient> failing = clients.list(LOGIN_WAIT);
        if (servers.list(ServerState.IDLE, ServerState.ACTIVE, ServerState.USED, ServerState.TESTED,
                ServerState.BEING_CANCELED).stream().allMatch(PoolServer::closeNeeded)) {
            clients.addTo(failing, WAITING);
        }
        failing.forEach(c -> c.fail(sqlState, message));
    }

    /** The server can take a client: idle it, or close it if it is due to go. */
    private void serverReady(PoolServer s) {
        long now = now();
        String expired = expiredReason(s, now);
        if (expired == null && manager.isPaused(key.database())) {
            expired = "pause mode"; // PAUSE disconnects every server once it is released
        }
        if (expired != null || manager.isShuttingDown()) {
            retire(s, expired != null ? expired : "pooler shutting down");
            return;
        }
        servers.moveFirst(s.entry(), ServerState.IDLE, now);
        dispatch(false);
    }

    /** The server's socket closed on its own, or the session closed it: it leaves the pool. */
    public void serverClosed(PoolServer s, String reason) {
        assert manager.onLoop();
        if (s.state() == ServerState.CLOSED) {
            return; // the pool closed it (disconnect): already gone
        }
        serverGone(s, reason);
        if (!manager.isShuttingDown()) {
            dispatch(false);
        }
    }

    /**
     * A server done with its client closes instead of going idle: queued clients get a replacement now, as
     * PgBouncer launches one in the same loop iteration (not at the next janitor run).
     */
    void retire(PoolServer s, String reason) {
        disconnect(s, reason);
        if (!manager.isShuttingDown()) {
            dispatch(false);
        }
    }

    /**
     * The pool closes a server: it leaves the lists at once (PgBouncer's disconnect_server), so the loops that
     * close servers see the lists shrink; the socket's own close report is then ignored.
     */
    void disconnect(PoolServer s, String reason) {
        s.close(reason);
        serverGone(s, reason);
    }

    private void serverGone(PoolServer s, String reason) {
        PoolClient c = s.client();
        move(s, ServerState.CLOSED);
        manager.limits().serverGone(this);
        cancels.serverClosed(s);
        if (general().logDisconnections()) {
            long age = (now() - s.connectNanos()) / 1_000_000_000L;
            log().log(s.prefix() + " closing because: " + reason + " (age=" + age + "s)");
        }
        replication.serverGone(s, c, reason);
        if (c != null && c.state() == ACTIVE) {
            c.fail(PgProtocol.PROTOCOL_VIOLATION, "server conn crashed?");
        }
    }

    // ---- for the janitor ----

    /** Timeouts, lifetimes and min_pool_size ({@link Janitor}), a few times a second. */
    void janitor(long now) {
        assert manager.onLoop();
        Janitor.run(this, now);
    }

    StateLists<ClientState, PoolClient> clientLists() { return clients; }
    StateLists<ServerState, PoolServer> serverLists() { return servers; }
    PoolManager manager() { return manager; }
    ReplicationLinks replicationLinks() { return replication; }
}

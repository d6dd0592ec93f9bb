package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.log.PoolerLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Pools without sockets: fake clients and servers, a launcher that only records, and a clock moved by hand. A
 * test plays PostgreSQL's part by calling the pool's server events (serverLoggedIn, readyForQuery, ...) itself.
 */
final class PoolHarness {
    static final String DB = "db";
    static final String USER = "u";

    final ManualClock clock = new ManualClock();
    final FakeLauncher launcher = new FakeLauncher(clock);
    final PoolManager manager;
    /** Every client {@link #login} made, for {@link #closeFailed}. */
    final List<FakeClient> clients = new ArrayList<>();
    private long ids;

    /** {@code settings}: extra {@code [pgbouncer]} lines; {@code dbEntry}: the connect string of database "db". */
    PoolHarness(String settings, String dbEntry) {
        this(config(settings, DB + " = " + dbEntry));
    }

    private PoolHarness(PoolerConfig config) {
        manager = new PoolManager(config, Userlist.parse("\"u\" \"pw\"\n"), new PoolerLog(false, 0), clock,
                () -> true, launcher);
    }

    /**
     * One more event loop of the same process ({@code global} shared): its tasks run at once, so what one loop
     * posts to another happens within the call, in order.
     */
    PoolHarness(PoolerConfig config, GlobalState global) {
        manager = new PoolManager(config, Userlist.parse("\"u\" \"pw\"\n"), new PoolerLog(false, 0), clock,
                () -> true, Runnable::run, launcher, global);
    }

    /** {@code databases}: the whole {@code [databases]} section, for tests with several databases or {@code *}. */
    static PoolHarness withDatabases(String settings, String databases) {
        return new PoolHarness(config(settings, databases));
    }

    PoolHarness(String settings) {
        this(settings, "host=127.0.0.1 port=5432");
    }

    /** Loads the configuration from a temporary file, removed again: the loaded config does not read it later. */
    static PoolerConfig config(String settings, String databases) {
        try {
            Path dir = Files.createTempDirectory("pool-harness");
            Path ini = dir.resolve("pgbouncer.ini");
            Path userlist = dir.resolve("userlist.txt");
            try {
                Files.writeString(ini, "[databases]\n" + databases + "\n[pgbouncer]\nlisten_port = 6432\n"
                        + "auth_file = " + userlist + "\n" + settings + "\n");
                Files.writeString(userlist, "\"u\" \"pw\"\n");
                return IniLoader.load(ini).config();
            } finally {
                Files.deleteIfExists(ini);
                Files.deleteIfExists(userlist);
                Files.deleteIfExists(dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (ConfigException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }

    Pool pool(String db, String user) {
        return manager.pool(manager.config().database(db).orElseThrow(), user);
    }

    Pool pool() {
        return pool(DB, USER);
    }

    /** A client admitted and authenticated, now waiting for (or given) its pool's welcome. */
    FakeClient login(Pool pool) {
        FakeClient c = new FakeClient(++ids, clock.nanoTime());
        clients.add(c);
        if (!manager.admitClient(c)) {
            throw new IllegalStateException("not admitted");
        }
        if (manager.overMaxClientConn()) { // what the session's StartupMessage check does
            manager.clientClosed(c, true, null);
            throw new IllegalStateException("over max_client_conn");
        }
        manager.authenticating(c);
        c.pool = pool;
        pool.clientLoginWait(c);
        return c;
    }

    /** A replication client admitted and authenticated: it waits for a server of its own. */
    FakeClient replicationLogin(Pool pool, Replication kind) {
        FakeClient c = new FakeClient(++ids, clock.nanoTime());
        c.replication = kind;
        clients.add(c);
        manager.admitClient(c);
        manager.authenticating(c);
        c.pool = pool;
        pool.clientLoginWait(c);
        return c;
    }

    /** A login that needs one of {@code pool}'s servers for its auth_query (the session's AuthQueryClient). */
    FakeClient authQuery(Pool pool) {
        FakeClient c = new FakeClient(++ids, clock.nanoTime(), ClientState.IDLE);
        clients.add(c);
        c.pool = pool;
        pool.authQuery(c);
        return c;
    }

    /** A client logged in to {@code pool}, the pool's first server logged in if needed. */
    FakeClient idleClient(Pool pool) {
        FakeClient c = login(pool);
        if (c.state() == ClientState.LOGIN_WAIT) {
            pool.serverLoggedIn(launcher.lastFor(pool));
        }
        return c;
    }

    /**
     * The client sends a request, as the session does: the fast path when an idle server is free, else the queue.
     */
    PoolServer request(FakeClient c) {
        PoolServer s = c.pool.takeReadyServer(c);
        if (s != null) {
            c.server = s;
            return s;
        }
        c.pool.queue(c);
        c.pool.serveQueue();
        return c.server;
    }

    /** The client's request, served at once or after the servers launched for it have logged in. */
    PoolServer serve(FakeClient c) {
        PoolServer s = request(c);
        if (s == null) {
            loginAll(c.pool);
        }
        if (c.server == null) {
            throw new IllegalStateException(c + " got no server");
        }
        return c.server;
    }

    /** The servers launched for {@code pool} that are in {@code state}, in launch order. */
    List<FakeServer> servers(Pool pool, ServerState state) {
        return launcher.launched.stream().filter(s -> s.pool == pool && s.state() == state).toList();
    }

    /** The server answers ReadyForQuery 'I' to its client's last request: released in transaction mode. */
    void finish(PoolServer s) {
        FakeServer f = (FakeServer) s;
        f.pending = 0;
        f.txStatus = 'I';
        f.xactStartNanos = 0;
        Pool pool = f.pool;
        if (pool.releasableAt(f)) {
            pool.readyForQuery(f);
        }
    }

    /** The client's socket closes (the session's closed()). */
    void disconnect(FakeClient c) {
        manager.clientClosed(c, true, c.server);
        c.server = null;
    }

    /** The janitor run, then what the session does right after it: clients it failed close. */
    void janitor() {
        manager.janitor();
        closeFailed();
    }

    /** As ClientConnection.fail: a failed client's socket closes once the current event is handled. */
    void closeFailed() {
        for (FakeClient c : clients) {
            if (c.failure != null && c.state() != ClientState.CLOSED) {
                disconnect(c);
            }
        }
    }

    /** PostgreSQL accepted the login of every server still logging in. */
    void loginAll(Pool pool) {
        for (FakeServer s : launcher.launched) {
            if (s.pool == pool && s.state() == ServerState.LOGIN && s.connected) {
                pool.serverLoggedIn(s);
            }
        }
    }

    static final class ManualClock implements Clock {
        private long now = 1_000_000_000_000L;

        @Override
        public long nanoTime() {
            return now;
        }

        void advance(Duration d) {
            now += d.toNanos();
        }
    }

    static final class FakeLauncher implements ServerLauncher {
        private final Clock clock;
        final List<FakeServer> launched = new ArrayList<>();
        final List<PoolServer> cancels = new ArrayList<>();
        final List<CancelCallback> cancelCallbacks = new ArrayList<>();

        FakeLauncher(Clock clock) {
            this.clock = clock;
        }

        @Override
        public PoolServer launch(Pool pool, Login login) {
            FakeServer s = new FakeServer(login, pool, clock.nanoTime());
            launched.add(s);
            return s;
        }

        @Override
        public void cancel(PoolServer target, CancelCallback callback) {
            cancels.add(target);
            cancelCallbacks.add(callback);
        }

        /** Cancels forwarded to peers: address, pid, secret. */
        final List<String> forwarded = new ArrayList<>();

        @Override
        public void forwardCancel(String address, int pid, int secret, Runnable done) {
            forwarded.add(address + " " + pid + " " + secret);
            done.run();
        }

        FakeServer lastFor(Pool pool) {
            for (int i = launched.size() - 1; i >= 0; i--) {
                if (launched.get(i).pool == pool) {
                    return launched.get(i);
                }
            }
            throw new IllegalStateException("no server launched for " + pool.key());
        }

        long countFor(Pool pool) {
            return launched.stream().filter(s -> s.pool == pool).count();
        }
    }

    static final class FakeClient implements PoolClient {
        final StateEntry<ClientState, PoolClient> entry;
        final long id;
        final long connectNanos;
        long lastActivityNanos;
        /** The login name; a database with a forced user has clients of several names in one pool. */
        String user = USER;
        /** What its StartupMessage asked with replication=. */
        Replication replication = Replication.NONE;
        Pool pool;
        PoolServer server;
        dev.poolctl.pooler.protocol.ParameterStatusSet welcome;
        String failure;
        String closeReason;
        int releases;
        boolean cancelPending;
        boolean suspended;
        final java.util.List<String> notices = new java.util.ArrayList<>();

        FakeClient(long id, long now) {
            this(id, now, ClientState.STARTUP);
        }

        /** {@code initial}: IDLE for a login's auth_query, which enters its pool directly. */
        FakeClient(long id, long now, ClientState initial) {
            this.id = id;
            this.connectNanos = now;
            this.lastActivityNanos = now;
            this.entry = new StateEntry<>(this, initial, now);
        }

        @Override public StateEntry<ClientState, PoolClient> entry() { return entry; }
        @Override public long id() { return id; }
        @Override public String prefix() { return "C-" + id; }
        @Override public long connectNanos() { return connectNanos; }
        @Override public long lastActivityNanos() { return lastActivityNanos; }
        @Override public Pool pool() { return pool; }
        @Override public PoolServer server() { return server; }
        @Override public void finishLogin(dev.poolctl.pooler.protocol.ParameterStatusSet serverWelcome) { welcome = serverWelcome; }
        @Override public void linked(PoolServer s) { server = s; }
        @Override public void released() { server = null; releases++; }
        @Override public void cancelWhenLinked() { cancelPending = true; }
        @Override public void notice(String message) { notices.add(message); }
        @Override public boolean cancelPending() { return cancelPending; }
        @Override public void suspend(boolean on) { suspended = on; }
        @Override public String user() { return user; }
        @Override public Replication replication() { return replication; }
        @Override public Map<String, String> replicationStartup() {
            return Map.of("replication", replication.startupValue());
        }
        @Override public String applicationName() { return ""; }
        @Override public SocketAddress localAddress() { return null; }
        @Override public SocketAddress remoteAddress() { return null; }
        @Override public int preparedStatementCount() { return 0; }
        @Override public long pendingWriteBytes() { return 0; }

        /** As the session: the error is sent now, the client leaves its pool after the current read. */
        @Override
        public void fail(String sqlState, String message) {
            if (failure == null) {
                failure = message;
            }
        }

        @Override
        public void close(String reason) {
            closeReason = reason;
        }

        @Override
        public String toString() {
            return prefix();
        }
    }

    static final class FakeServer implements PoolServer {
        final StateEntry<ServerState, PoolServer> entry;
        final ServerLauncher.Login login;
        final Pool pool;
        final long connectNanos;
        long lastUsedNanos;
        /** As the session's: the current request's start, or with none in flight the last answer's time. */
        long requestNanos;
        boolean connected;
        boolean open = true;
        String closeReason;
        boolean closeNeeded;
        PoolClient client;
        boolean suspended;
        int pending;
        byte txStatus = 'I';
        /** The session's transaction start (transaction_timeout); 0 outside a transaction. */
        long xactStartNanos;
        final List<String> internalQueries = new ArrayList<>();
        final Map<String, String> welcome = Map.of("server_version", "15.0", "client_encoding", "UTF8");

        FakeServer(ServerLauncher.Login login, Pool pool, long now) {
            this.login = login;
            this.pool = pool;
            this.connectNanos = now;
            this.lastUsedNanos = now;
            this.requestNanos = now;
            this.entry = new StateEntry<>(this, ServerState.LOGIN, now);
        }

        @Override public StateEntry<ServerState, PoolServer> entry() { return entry; }
        @Override public long id() { return login.id(); }
        @Override public String prefix() { return "S-" + login.id(); }
        @Override public long connectNanos() { return connectNanos; }
        @Override public long lastUsedNanos() { return lastUsedNanos; }
        @Override public long requestNanos() { return requestNanos; }
        @Override public long xactStartNanos() { return xactStartNanos; }
        @Override public int pendingRequests() { return pending; }
        @Override public byte txStatus() { return txStatus; }
        @Override public boolean isQuiet() { return pending == 0 && txStatus == 'I'; }
        @Override public boolean closeNeeded() { return closeNeeded; }
        @Override public void markCloseNeeded() { closeNeeded = true; }
        @Override public boolean isOpen() { return open; }
        @Override public void connect() { connected = true; }
        @Override public PoolClient client() { return client; }
        @Override public void link(PoolClient c, long now) { client = c; requestNanos = now; }
        @Override public void touch(long now) { lastUsedNanos = now; requestNanos = now; }
        @Override public void sendInternal(String sql) { internalQueries.add(sql); }
        @Override public Map<String, String> welcome() { return welcome; }
        @Override public void suspend(boolean on) { suspended = on; }
        @Override public String address() { return login.host() + ":" + login.port(); }
        @Override public String host() { return login.host(); }
        @Override public int backendPid() { return (int) login.id(); }
        @Override public int backendKey() { return 42; }
        @Override public Replication replication() {
            return Replication.parse(login.startupParameters().getOrDefault("replication", "no"));
        }
        @Override public String applicationName() { return ""; }
        @Override public SocketAddress localAddress() { return null; }
        @Override public SocketAddress remoteAddress() { return null; }
        @Override public int preparedStatementCount() { return 0; }
        @Override public long pendingWriteBytes() { return 0; }

        @Override
        public void unlink(long now) {
            client = null;
            pending = 0;
            xactStartNanos = 0;
            lastUsedNanos = now;
            requestNanos = now;
        }

        /** As the session: the socket closes now; the pool hears of it unless it closed the server itself. */
        @Override
        public void close(String reason) {
            if (closeReason == null) {
                closeReason = reason;
            }
            open = false;
        }

        /** PostgreSQL (or the network) closed the connection. */
        void crash() {
            open = false;
            pool.serverClosed(this, "server conn crashed?");
        }

        @Override
        public String toString() {
            return prefix();
        }
    }
}

package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolClient;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.PoolServer;
import dev.poolctl.pooler.pool.StateEntry;
import dev.poolctl.pooler.protocol.ParameterStatusSet;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.net.SocketAddress;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * A client that is logging in, as the auth_user's pool sees it while it waits for the auth_query (PgBouncer puts
 * the client itself in that pool: it is counted in the pool's cl_waiting and shown by SHOW CLIENTS there). It lives
 * on the pool's loop; the answer goes to the client's own loop, once.
 *
 * <p>A server linked to it runs the query with the login name as a parameter and none of the client's settings
 * (no SET of its startup parameters: PgBouncer's CVE-2025-12819).
 */
final class AuthQueryClient implements PoolClient {
    /**
     * What the query said: {@code failure} set when it could not run (the client gets it with {@code sqlState}); else
     * {@code row} is the (user name, password) row, or null when the query returned no row.
     */
    record Answer(String[] row, String sqlState, String failure) {}

    private final StateEntry<ClientState, PoolClient> entry;
    private final long id;
    private final String prefix;
    private final String user;
    private final long connectNanos;
    private final SocketAddress remote;
    private final SocketAddress local;
    private final String tls;
    private final String query;
    private final PoolManager manager;
    private final Executor clientLoop;
    private final Consumer<Answer> answer;
    private Pool pool;
    private PoolServer server;
    private boolean answered;

    /** Made on the client's loop from what it knows then; used on {@code manager}'s loop from then on. */
    AuthQueryClient(ClientConnection client, String query, PoolManager manager, Executor clientLoop,
                    Consumer<Answer> answer, long nowNanos) {
        this.entry = new StateEntry<>(this, ClientState.IDLE, nowNanos);
        this.id = client.id();
        this.prefix = client.prefix();
        this.user = client.user();
        this.connectNanos = client.connectNanos();
        this.remote = client.remoteAddress();
        this.local = client.localAddress();
        this.tls = client.tlsInfo();
        this.query = query;
        this.manager = manager;
        this.clientLoop = clientLoop;
        this.answer = answer;
    }

    /** On the pool's loop: queue for one of {@code authPool}'s servers. */
    void start(Pool authPool) {
        pool = authPool;
        authPool.authQuery(this);
    }

    String query() {
        return query;
    }

    /** The pool's loop's manager: everything but the constructor runs there. */
    PoolManager manager() {
        return manager;
    }

    /** The query finished (ReadyForQuery): {@code row} as the server sent it, or null for no row. */
    void answered(String[] row) {
        finish(new Answer(row, null, null));
    }

    /**
     * The client is gone (closed or timed out while logging in): a query still queued leaves the pool; one that runs
     * finishes, and its answer is dropped by the client.
     */
    void abandon() {
        if (!answered && state() == ClientState.WAITING) {
            answered = true;
            leavePool();
        }
    }

    private void finish(Answer a) {
        if (answered) {
            return;
        }
        answered = true;
        clientLoop.execute(() -> answer.accept(a));
        leavePool();
    }

    /** Out of the pool: the server goes back to it as after any client (reset in session mode). */
    private void leavePool() {
        manager.loop().execute(() -> manager.clientClosed(this, false, server));
    }

    // ---- what the pool tells it ----

    @Override
    public void fail(String sqlState, String message) {
        // Once linked, the query itself failed (its error is in the log): PgBouncer tells a client that is still
        // logging in only "bouncer config error". Before that, the pool's own reason (query_wait_timeout, a failed
        // server login) is what the client needs to see.
        boolean linked = state() == ClientState.ACTIVE;
        finish(new Answer(null, linked ? PgProtocol.PROTOCOL_VIOLATION : sqlState,
                linked ? "bouncer config error" : message));
    }

    @Override
    public void close(String reason) {
        fail(PgProtocol.PROTOCOL_VIOLATION, reason);
    }

    @Override
    public void linked(PoolServer s) {
        server = s;
    }

    @Override
    public void released() {
        // Never linked long enough to be released: it leaves the pool at the query's ReadyForQuery.
    }

    @Override
    public void finishLogin(ParameterStatusSet serverWelcome) {
        // Never waits for a welcome: it goes to the pool's queue directly.
    }

    @Override public void cancelWhenLinked() {}
    @Override public void notice(String message) {} // internal: nobody to tell
    @Override public boolean cancelPending() { return false; }
    @Override public StateEntry<ClientState, PoolClient> entry() { return entry; }
    @Override public long lastActivityNanos() { return entry.sinceNanos(); }
    @Override public Pool pool() { return pool; }
    @Override public PoolServer server() { return server; }
    @Override public String user() { return user; }
    @Override public long id() { return id; }
    @Override public String prefix() { return prefix; }
    @Override public long connectNanos() { return connectNanos; }
    @Override public void suspend(boolean suspended) {}
    @Override public String applicationName() { return ""; }
    @Override public SocketAddress localAddress() { return local; }
    @Override public SocketAddress remoteAddress() { return remote; }
    @Override public int preparedStatementCount() { return 0; }
    @Override public String tlsInfo() { return tls; }
    @Override public long pendingWriteBytes() { return 0; }

    @Override
    public String toString() {
        return prefix + " (auth_query)";
    }
}

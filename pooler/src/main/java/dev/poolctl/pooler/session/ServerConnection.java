package dev.poolctl.pooler.session;

import dev.poolctl.pooler.net.ServerConnector;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolClient;
import dev.poolctl.pooler.pool.PoolServer;
import dev.poolctl.pooler.pool.Replication;
import dev.poolctl.pooler.pool.ServerState;
import dev.poolctl.pooler.pool.StateEntry;
import dev.poolctl.pooler.prepare.OutstandingRequests;
import dev.poolctl.pooler.prepare.PreparedStatementCache;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.SocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One connection to PostgreSQL: the pooler logs in as a client (PgBouncer's server.c), then forwards the
 * server's messages to whichever client is linked, watching only ReadyForQuery and ParameterStatus.
 */
public final class ServerConnection extends PgStreamHandler implements PoolServer {
    private final long id;
    private final Pool pool;
    private final ServerLogin login;
    private final String host;
    private final int port;
    private final ServerConnector connector;
    /** Its state and place in its pool's lists. */
    private final StateEntry<ServerState, PoolServer> entry;
    /** The login phase, until the first ReadyForQuery. */
    private final ServerLoginPhase loginPhase;
    /** Its role for target_session_attrs: a promotion or a read-only switch can retire it when released. */
    private final ServerRole role;
    /** The pooler's own queries (varcache SET, reset, check, read-back) and their answers. */
    private final InternalQueries internal = new InternalQueries(this);
    private final long connectNanos;
    private Channel channel;
    private ClientConnection client;

    /**
     * Every ParameterStatus the server reported, by lower-case name (varcache), and the values of unreported
     * tracked parameters the pooler set or read back (absent: the session default).
     */
    private final Map<String, String> params = new LinkedHashMap<>();
    /**
     * The client settings {@link #params} were last made to match (a client's immutable snapshot), and the tracked
     * list of then; null when unknown or when a parameter changed since. A client with equal settings needs no
     * SET at link: in transaction mode that is almost every link, and the comparison is not made again.
     */
    private Map<String, String> syncedFor;
    private List<String> syncedTracked;
    private final Map<String, String> welcome = new LinkedHashMap<>();
    private int backendPid;
    private int backendKey;
    private byte txStatus = PgProtocol.TX_IDLE;
    /** ReadyForQuery messages the client's Query/Sync/FunctionCall messages still owe: release waits for zero. */
    private int pendingReadyForQuery;
    private long lastUsedNanos;
    private long requestNanos;
    /** Start of the client's current transaction, 0 outside one: SHOW STATS xact_time, transaction_timeout. */
    private long xactStartNanos;
    private boolean closeNeeded;
    private String closeReason;
    /** Its failed login was reported to the pool (LoginRetry): its close is not another failure. */
    private boolean loginFailureReported;
    /** Its prepared statements and the answers owed to a client whose statements are rewritten. */
    private final ServerStatements statements;
    /** Set while linked to a client whose statements are rewritten: the answers are matched to requests. */
    private boolean tracking;
    /**
     * Between the server's CopyInResponse and the client's CopyDone or CopyFail. PostgreSQL ignores Sync in
     * copy-in, and libpq sends one right after an extended-protocol COPY's Execute and another after CopyDone:
     * only the second is answered with ReadyForQuery.
     */
    private boolean copyIn;
    private long forwardedRuns;
    /** A replication client's own server: never reused, never SET (it starts with the client's settings). */
    private final Replication replication;

    public ServerConnection(long id, Pool pool, ServerLogin login, String host, int port, ServerConnector connector,
                            long nowNanos) {
        this.id = id;
        this.pool = pool;
        this.login = login;
        this.host = host;
        this.port = port;
        this.connector = connector;
        this.entry = new StateEntry<>(this, ServerState.LOGIN, nowNanos);
        this.role = new ServerRole(pool.database().targetSessionAttrs());
        this.loginPhase = new ServerLoginPhase(this, login, pool.database().connectQuery(), role);
        this.connectNanos = nowNanos;
        this.lastUsedNanos = nowNanos;
        this.statements = new ServerStatements(this, pool.statementRegistry());
        this.replication = Replication.parse(login.startupParameters().getOrDefault("replication", "no"));
    }

    @Override public StateEntry<ServerState, PoolServer> entry() { return entry; }
    @Override public long id() { return id; }
    public Pool pool() { return pool; }
    /** The linked client, or the login whose auth_query it runs. */
    @Override public PoolClient client() { return client != null ? client : internal.authQueryClient(); }
    ClientConnection linkedClient() { return client; }
    public Channel channel() { return channel; }
    @Override public long connectNanos() { return connectNanos; }
    @Override public long lastUsedNanos() { return lastUsedNanos; }
    @Override public long requestNanos() { return requestNanos; }
    @Override public long xactStartNanos() { return xactStartNanos; }
    @Override public int backendPid() { return backendPid; }
    @Override public int backendKey() { return backendKey; }
    @Override public byte txStatus() { return txStatus; }
    @Override public int pendingRequests() { return pendingReadyForQuery; }
    @Override public String address() { return login.address(); }
    @Override public String host() { return host; }
    @Override public boolean standby() { return role.isStandby(); }
    @Override public Replication replication() { return replication; }
    @Override public Map<String, String> welcome() { return welcome; }
    @Override public boolean closeNeeded() { return closeNeeded; }
    @Override public void markCloseNeeded() { closeNeeded = true; }
    @Override public boolean isOpen() { return channel != null && channel.isOpen(); }
    /** A parameter's value as the server now has it: a change means its settings no longer match a client's. */
    void param(String lowerName, String value) {
        if (!value.equals(params.put(lowerName, value))) {
            syncedFor = null;
            if (role.parameter(lowerName, value)) {
                closeNeeded = true; // no longer the role target_session_attrs asks for: retired when released
            }
        }
    }

    @Override public String applicationName() { return params.getOrDefault("application_name", ""); }
    @Override public SocketAddress localAddress() { return channel == null ? null : channel.localAddress(); }
    @Override public SocketAddress remoteAddress() { return channel == null ? null : channel.remoteAddress(); }
    @Override public int preparedStatementCount() { return statements.cache().size(); }
    @Override public long pendingWriteBytes() { return ClientOutput.pendingBytes(channel); }
    @Override public String tlsInfo() { return dev.poolctl.pooler.net.TlsContexts.describe(channel); }
    public PreparedStatementCache statements() { return statements.cache(); }
    public OutstandingRequests requests() { return statements.requests(); }

    @Override
    public boolean isQuiet() {
        return pendingReadyForQuery <= 0 && !internal.running() && txStatus == PgProtocol.TX_IDLE
                && statements.requests().isEmpty();
    }

    public String prefix() { return "S-" + id + ": " + pool.key() + "@" + login.address(); }

    @Override public ServerState state() { return entry.state(); }

    /** Starts connecting (the pool lists it as LOGIN first). */
    @Override
    public void connect() {
        connector.connect(this, host, port, () -> state() == ServerState.CLOSED, this::connectFailed, message -> {
            loginFailureReported = true;
            dev.poolctl.pooler.pool.LoginRetry.failedBeforeLogin(pool, this, message);
        });
    }

    /** No connection: the pool's waiting logins fail with PgBouncer's message, and the server is gone. */
    private void connectFailed(String message) {
        pool.log().warning(prefix() + " " + message);
        closeReason = message;
        loginFailureReported = true;
        pool.serverLoginFailed(this, PgProtocol.CONNECTION_FAILURE, null, message);
        // PgBouncer's close reasons (its suite looks for them): the DNS failure, else "connect failed".
        boolean dns = message.startsWith(ServerConnector.DNS_FAILED);
        pool.serverClosed(this, dns ? ServerConnector.DNS_FAILED : "connect failed");
    }

    // ---- linking (called by Pool on the event loop) ----

    @Override
    public void link(PoolClient linked, long nowNanos) {
        requestNanos = nowNanos;
        if (linked instanceof AuthQueryClient login) {
            internal.authQuery(login); // with the server's own settings: none of the unauthenticated client's
            return;
        }
        ClientConnection c = (ClientConnection) linked;
        client = c;
        tracking = c.path().rewritesStatements();
        // Reads may have been paused for the previous client's backpressure.
        ClientOutput.autoRead(channel, c.channel().isWritable());
        Map<String, String> wanted = c.settingsSnapshot();
        List<String> tracked = c.trackedParameters();
        if (replication == Replication.NONE && (syncedTracked != tracked || !wanted.equals(syncedFor))) {
            String set = c.parameterSetQuery(params);
            if (set != null) {
                sendInternal(set);
            }
            syncedFor = wanted;
            syncedTracked = tracked;
        }
    }

    /** The server was just used or proven alive: server_check_delay and server_idle_timeout count from now. */
    public void touch(long nowNanos) {
        lastUsedNanos = nowNanos;
    }

    public void unlink(long nowNanos) {
        client = null;
        internal.unlinked();
        xactStartNanos = 0;
        if (channel != null) {
            ClientOutput.autoRead(channel, true);
        }
        lastUsedNanos = nowNanos;
        pendingReadyForQuery = 0;
        copyIn = false;
        tracking = false;
        statements.requests().linkEnded();
        if (statements.forgetRequests()) {
            closeNeeded = true; // unlinked with answers outstanding (the client went away)
        }
    }

    /**
     * The client ended a COPY FROM STDIN (CopyDone or CopyFail) after sending {@code syncs} Syncs since the command
     * that started it: if the server was in copy-in, it ignored those, so they get no ReadyForQuery.
     */
    public void copyEndedByClient(int syncs) {
        if (!copyIn) {
            return;
        }
        copyIn = false;
        pendingReadyForQuery -= syncs;
        if (tracking) {
            statements.requests().ignoreSyncs(syncs);
        }
    }

    /** A request of the linked client (Query, Sync, FunctionCall) that the server answers with ReadyForQuery. */
    public void expectReadyForQuery() {
        pendingReadyForQuery++;
        if (pendingReadyForQuery == 1) {
            requestNanos = System.nanoTime();
            if (xactStartNanos == 0 && txStatus == PgProtocol.TX_IDLE) {
                xactStartNanos = requestNanos;
            }
        }
    }

    /** Runs a query of the pooler's own whose results nobody sees (varcache SET, reset, check). */
    @Override
    public void sendInternal(String sql) {
        internal.sent();
        channel.writeAndFlush(FrontendMessages.query(channel.alloc(), sql), channel.voidPromise());
    }

    /** The auth_query, the login name as its parameter; InternalQueries reads the answer. */
    void sendAuthQuery(String sql, String user) {
        channel.writeAndFlush(FrontendMessages.extendedQuery(channel.alloc(), sql, user), channel.voidPromise());
    }

    public void flush() { channel.flush(); }

    /** Closes the socket; the pool hears of it at channelInactive (or has already: Pool.disconnect). */
    @Override
    public void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        if (channel != null && channel.isOpen()) {
            if (state() != ServerState.LOGIN) {
                channel.writeAndFlush(FrontendMessages.terminate(channel.alloc()));
            }
            channel.close();
        }
    }

    @Override
    public void suspend(boolean suspended) {
        if (channel != null) {
            channel.config().setAutoRead(!suspended);
            if (suspended) {
                channel.flush();
            }
        }
    }

    // ---- Netty ----

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        channel = ctx.channel();
        ctx.writeAndFlush(FrontendMessages.startupMessage(ctx.alloc(), login.startupParameters()));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        releaseKept();
        loginPhase.cancel();
        statements.closed();
        if (!loginFailureReported) {
            dev.poolctl.pooler.pool.LoginRetry.closedDuringLogin(pool, this); // in LOGIN only
        }
        pool.serverClosed(this, closeReason != null ? closeReason : "server conn crashed?");
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (client != null && state() == ServerState.ACTIVE) {
            client.serverWritabilityChanged(ctx.channel().isWritable());
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        pool.log().warning(prefix() + " " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        close("server conn crashed?");
    }

    @Override
    protected int maxPacketSize() {
        return Integer.MAX_VALUE;
    }

    @Override
    protected int classify(byte type, int length) {
        if (state() != ServerState.ACTIVE || internal.running() || client == null) {
            return NEED_BODY;
        }
        if (tracking && statements.requests().needs(type)) {
            return NEED_BODY;
        }
        return type == PgProtocol.READY_FOR_QUERY || type == PgProtocol.PARAMETER_STATUS
                || type == PgProtocol.COPY_IN_RESPONSE ? NEED_BODY : PASS;
    }

    @Override
    protected int onMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        switch (state()) {
            case LOGIN:
                return loginPhase.message(ctx, type, frame);
            case ACTIVE:
                if (internal.running() || client == null) {
                    return internal.message(type, frame, client != null);
                }
                return activeMessage(type, frame);
            case USED:
            case TESTED:
                return internal.message(type, frame, false);
            default:
                return idleMessage(type, frame);
        }
    }

    private int activeMessage(byte type, ByteBuf frame) {
        if (type == PgProtocol.PARAMETER_STATUS) {
            String[] p = Messages.parameterStatus(frame);
            param(p[0].toLowerCase(Locale.ROOT), p[1]);
            client.serverParameterChanged(p[0], p[1]);
            return FORWARD;
        }
        if (type == PgProtocol.COPY_IN_RESPONSE) {
            copyIn = true;
            return FORWARD;
        }
        if (tracking) {
            int answer = statements.answer(client, type, frame);
            if (type != PgProtocol.READY_FOR_QUERY || answer != FORWARD) {
                return answer;
            }
        }
        // ReadyForQuery: a query ended, and a transaction with it when the status is back to idle.
        txStatus = Messages.readyForQueryStatus(frame);
        copyIn = false;
        pendingReadyForQuery--;
        long now = System.nanoTime();
        pool.stats().query((now - requestNanos) / 1_000);
        if (txStatus == PgProtocol.TX_IDLE && xactStartNanos != 0) {
            pool.stats().xact((now - xactStartNanos) / 1_000);
            xactStartNanos = 0;
        }
        if (pendingReadyForQuery <= 0) {
            requestNanos = now; // all answered: idle in transaction from now (PgBouncer's server request_time)
        }
        if (pendingReadyForQuery <= 0 && pool.refusesTransaction(this)) {
            pool.statementModeViolation(this);
            return DROP;
        }
        if (pool.releasableAt(this) && internal.startReadback(client)) {
            return DROP; // the read-back's own ReadyForQuery (also 'I') goes to the client in its place
        }
        return pool.releasableAt(this) ? FORWARD_AND_CUT : FORWARD;
    }

    /** The linked client's answers no longer match its requests: nothing this server says can be trusted. */
    void outOfSync(String why) {
        pool.log().warning(prefix() + " " + why);
        close("server answer does not match the requests sent");
    }

    /** A made-up answer (ParseComplete, CloseComplete) to the client, in order with the forwarded ones. */
    void emitToClient(ByteBuf message) {
        emit(message);
    }

    @Override
    protected void afterCut(ChannelHandlerContext ctx) {
        pool.readyForQuery(this);
    }

    // ---- what InternalQueries reports ----

    /** A reset or check query finished (the server is USED or TESTED). */
    void internalQueryDone(byte status) {
        txStatus = status;
        pool.internalQueryDone(this);
    }

    /** A ReadyForQuery of the pooler's own query with more of them to come. */
    void internalStatus(byte status) {
        txStatus = status;
    }

    /** The server reported a parameter: the linked client's value now, as the server spells it. */
    void parameterReported(String name, String value) {
        param(name.toLowerCase(Locale.ROOT), value);
        if (state() == ServerState.ACTIVE && client != null) {
            client.serverParameterChanged(name, value);
        }
    }

    /** The auth_query's answer cannot be used: logged, and the server closed (its login is told by the pool). */
    void authQueryFailed(String why) {
        pool.log().warning(prefix() + " " + why);
        close(why);
    }

    void internalQueryFailed(String error) {
        pool.log().warning(prefix() + " pooler query failed: " + error);
        closeNeeded = true;
    }

    private int idleMessage(byte type, ByteBuf frame) {
        if (type == PgProtocol.PARAMETER_STATUS) {
            String[] p = Messages.parameterStatus(frame);
            param(p[0].toLowerCase(Locale.ROOT), p[1]);
        } else if (type != PgProtocol.NOTICE_RESPONSE) {
            close("idle server got unexpected data");
        }
        return DROP;
    }

    /** How many runs of bytes this server has sent on to clients: tells whether it answered since a moment. */
    public long forwardedRuns() { return forwardedRuns; }

    @Override
    protected void forward(ChannelHandlerContext ctx, ByteBuf run) {
        if (client != null && state() == ServerState.ACTIVE) {
            forwardedRuns++;
            pool.stats().serverBytes += run.readableBytes();
            sendToPeer(ctx, client.channel(), run);
        } else {
            run.release();
        }
    }

    @Override
    protected void onProtocolError(ChannelHandlerContext ctx, String message) {
        pool.log().warning(prefix() + " " + message);
        close("server sent a bad packet");
    }

    // ---- what ServerLoginPhase reports ----

    void loginParameter(String name, String value) {
        welcome.put(name, value);
        param(name.toLowerCase(Locale.ROOT), value);
    }

    void backendKeyData(int pid, int key) {
        backendPid = pid;
        backendKey = key;
    }

    void loggedIn(byte status) {
        txStatus = status;
        pool.serverLoggedIn(this);
    }

    void loginFailed(String sqlState, String severity, String message) {
        closeReason = message; // PgBouncer's disconnect_server(server, true, "%s", msg): closing because: <msg>
        loginFailureReported = true;
        pool.serverLoginFailed(this, sqlState, severity, message);
        if (channel != null) {
            channel.close();
        }
    }
}

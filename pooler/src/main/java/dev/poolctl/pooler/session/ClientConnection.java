package dev.poolctl.pooler.session;

import dev.poolctl.pooler.admin.AdminConsole;
import dev.poolctl.pooler.net.Addresses;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolClient;
import dev.poolctl.pooler.pool.PoolKey;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.PoolServer;
import dev.poolctl.pooler.pool.StateEntry;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.ParameterStatusSet;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One client: the pooler pretends to be PostgreSQL (PgBouncer's client.c). This class is the socket's handler and
 * the pools' {@link PoolClient}; each phase has its own class: {@link ClientLogin} (startup packets,
 * authentication, welcome), {@link ConsoleSession} (the admin console) and {@link StatementPath} (a logged-in
 * client's messages to its server). Bytes are forwarded by {@link PgStreamHandler} without copies.
 */
public final class ClientConnection extends PgStreamHandler implements PoolClient {
    /** Password, SASL and console messages are small; a huge one there is an attack, not a login or command. */
    private static final int MAX_LOGIN_PACKET = 64 * 1024;

    private final long id;
    /** The manager of the event loop the client is on; it changes once, when the client moves to its pool's loop. */
    private PoolManager manager;
    private final AdminConsole console;
    private final long connectNanos;
    /** Its state and place in the lists of the manager (logging in, console) or of its pool. */
    private final StateEntry<ClientState, PoolClient> entry;
    /** The login phase; null once logged in (to a pool or the console): an idle client keeps none of it. */
    private ClientLogin login;
    private final ClientOutput output = new ClientOutput();
    /** The settings carried to each server this client gets (PgBouncer's varcache). */
    private final ClientSettings settings = new ClientSettings();
    private boolean cancelQueued; // a CancelRequest came while it waited for a server: sent once one is linked
    private ChannelHandlerContext ctx;
    private String user = "(nouser)";
    private String database = "(nodb)";
    private Pool pool;
    /** Set once the client is in its pool: what its messages mean for its server. */
    private StatementPath path;
    /** Set once the client is logged in to the console. */
    private ConsoleSession consoleSession;
    private ServerConnection server;
    private long lastActivityNanos;
    private String closeReason;
    /** Closing after an error (or a cancel request): whatever else the client sends is discarded. */
    private boolean failing;
    /** Counted against max_client_conn; only admitted clients are uncounted at close. */
    private boolean admitted;
    private final ClientLimits limits = new ClientLimits(); // its places: max_db/max_user_client_connections
    private boolean closingLogged;

    public ClientConnection(long id, PoolManager manager, AdminConsole console, long nowNanos,
                            java.util.function.Supplier<dev.poolctl.pooler.net.TlsContexts.Side> tls) {
        this.id = id;
        this.manager = manager;
        this.console = console;
        this.connectNanos = this.lastActivityNanos = nowNanos;
        this.entry = new StateEntry<>(this, ClientState.STARTUP, nowNanos);
        this.login = new ClientLogin(this, tls);
    }

    @Override public StateEntry<ClientState, PoolClient> entry() { return entry; }
    @Override public ClientState state() { return entry.state(); }
    @Override public long id() { return id; }
    public Channel channel() { return ctx.channel(); }
    @Override public ServerConnection server() { return server; }
    @Override public Pool pool() { return pool; }
    @Override public String user() { return user; }
    public String database() { return database; }
    @Override public long connectNanos() { return connectNanos; }
    @Override public long lastActivityNanos() { return lastActivityNanos; }
    @Override public SocketAddress localAddress() { return ctx.channel().localAddress(); }
    @Override public SocketAddress remoteAddress() { return ctx.channel().remoteAddress(); }
    @Override public long pendingWriteBytes() { return ClientOutput.pendingBytes(ctx.channel()); }
    @Override public String tlsInfo() { return dev.poolctl.pooler.net.TlsContexts.describe(ctx.channel()); }
    ClientSettings settings() { return settings; }
    PoolManager manager() { return manager; }
    boolean failing() { return failing; }
    ClientLimits limits() { return limits; }

    /** The application_name the client set (startup or SET), "" when none: SHOW CLIENTS. */
    @Override public String applicationName() { String n = settings.get("application_name"); return n == null ? "" : n; }

    @Override
    public String prefix() {
        String address = ctx == null ? "" : Addresses.describe(ctx.channel().remoteAddress()); // no string kept per client
        return "C-" + id + ": " + database + "/" + user + "@" + address;
    }

    // ---- Netty ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        ctx.channel().remoteAddress(); // the channel keeps it, also once closed: prefix() describes it, per log line
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        admitted = manager.admitClient(this);
        if (!admitted) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "pooler is shutting down"); // PgBouncer's words
        }
    }

    @Override public void channelInactive(ChannelHandlerContext ctx) { closed("client unexpected eof"); }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        manager.log().warning(prefix() + " " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivityNanos = System.nanoTime();
        ClientState state = state();
        if (failing || state == ClientState.CLOSED) {
            ((ByteBuf) msg).release(); // closing: whatever else the client sends is discarded, never buffered
        } else if (state == ClientState.STARTUP) {
            login.readStartup(ctx, (ByteBuf) msg);
        } else {
            super.channelRead(ctx, msg);
        }
    }

    /** Typed messages the client pipelined behind its StartupMessage. */
    void readTyped(ByteBuf rest) {
        super.channelRead(ctx, rest);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (server != null && state() == ClientState.ACTIVE) {
            server.channel().config().setAutoRead(ctx.channel().isWritable());
        }
        if (!failing) {
            ClientOutput.writable(ctx.channel(), state(), server, manager.pauseMode() == PoolManager.PauseMode.SUSPEND);
            if (output.release(ctx.channel())) {
                resumeAndFlush();
            }
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        output.newTurn();
        super.channelReadComplete(ctx);
    }

    /** Scans the messages a STOP kept (the keys of a SCRAM login are ready, a console answer was sent). */
    void resume() { resumeScan(ctx); }

    /**
     * Scans the requests a STOP kept, outside a read of this client: what they forward to the server is flushed
     * here, since no channelReadComplete of ours will.
     */
    private void resumeAndFlush() {
        resumeScan(ctx);
        if (server != null) {
            server.flush();
        }
    }

    void serverWritabilityChanged(boolean writable) {
        if (state() == ClientState.ACTIVE) {
            ctx.channel().config().setAutoRead(writable);
        }
    }

    /** A message of the pooler's own to the linked server, in order with the client's (statement rewriting). */
    void emitToServer(ByteBuf message) { emit(message); }

    // ---- login (ClientLogin calls these) ----

    void named(String user, String database) { this.user = user; this.database = database; }

    /** The connection carries a CancelRequest: open until the cancel is done (PgBouncer), then closed. */
    void cancelRequest(int pid, int key) {
        failing = true; // whatever else it sends is discarded
        ctx.channel().config().setAutoRead(false);
        manager.cancelRequest(this);
        manager.cancel(pid, key, () -> {
            closeReason = "cancel request";
            ctx.close();
        });
    }

    /** The client now lives on {@code home}'s loop ({@link LoopHandover}). */
    void arrivedOn(PoolManager home) { manager = home; home.arrived(this); }

    /** Authenticated for a pool's database: wait for the pool's welcome. */
    void joinPool(Pool pool) {
        this.pool = pool;
        PoolKey key = pool.key(); // its strings where equal: its idle clients share them (intern() cost 1% of -C)
        user = user.equals(key.user()) ? key.user() : user;
        database = database.equals(key.database()) ? key.database() : database;
        pool.clientLoginWait(this);
    }

    /** The pool knows the server's parameters (and has made the client IDLE): send the welcome. */
    @Override
    public void finishLogin(ParameterStatusSet serverWelcome) {
        path = new StatementPath(this, ctx, manager, pool);
        login.sendWelcome(ctx, serverWelcome);
        login = null; // logged in: the startup reader and authenticator are done
        ctx.channel().config().setAutoRead(true);
        resumeScan(ctx);
    }

    /** Logged in to the console (the manager has made the client ADMIN and the welcome is sent). */
    void consoleStarted(boolean admin) {
        consoleSession = new ConsoleSession(this, ctx, console, admin);
        login = null; // logged in: the startup reader and authenticator are done
        resumeScan(ctx);
    }

    // ---- typed messages ----

    @Override
    protected int maxPacketSize() {
        ClientState state = state();
        return state == ClientState.AUTH || state == ClientState.ADMIN ? MAX_LOGIN_PACKET
                : pool != null ? pool.maxPacketSize() : manager.config().general().maxPacketSize();
    }

    @Override
    protected int classify(byte type, int length) {
        ClientState state = state();
        if (state == ClientState.ACTIVE && type != 0) {
            return path.classify(server, type, length); // the hot path: first
        }
        String unexpected = ClientAuthenticator.unexpectedPacket(state, type);
        if (unexpected != null) {
            // A StartupMessage-like packet after the startup phase never restarts the login (PgBouncer < 1.26.1
            // took one sent during SCRAM as a new login); refused at its header, before waiting for its body.
            fail(PgProtocol.PROTOCOL_VIOLATION, unexpected);
            return HOLD;
        }
        switch (state) {
            case IDLE:
                if (type == PgProtocol.TERMINATE) {
                    return NEED_BODY;
                }
                ServerConnection ready = (ServerConnection) pool.takeReadyServer(this);
                if (ready != null) {
                    // Common case: a server is idle. Linked now, this message and the rest of the read are
                    // forwarded at once, with no buffering and no pause of the socket.
                    server = ready;
                    return path.classify(server, type, length);
                }
                // Queue for a server; reads go on (no epoll change per transaction) and PgStreamHandler pauses
                // the socket only if the client sends a lot before it has one.
                pool.queue(this);
                return HOLD;
            case AUTH:
            case ADMIN:
                return NEED_BODY;
            default:
                return HOLD;
        }
    }

    @Override
    protected int onMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        if (failing) {
            return DROP; // the rest of a read that failed the client: nothing of it goes on, its error comes last
        }
        ClientState state = state();
        boolean rewrites = path != null && path.rewritesStatements();
        if (output.mustHold(ctx.channel(), state, type, rewrites)) {
            return STOP;
        }
        if (output.turnUsed(state, type, rewrites)) {
            // Scheduled, not executed: a task queued now would run in this same batch of tasks, before other reads.
            ctx.executor().schedule(() -> {
                if (!failing && state() != ClientState.CLOSED) {
                    resumeAndFlush();
                }
            }, 0, TimeUnit.NANOSECONDS);
            return STOP;
        }
        switch (state) {
            case AUTH:
                return login.passwordMessage(ctx, type, frame);
            case ADMIN:
                return consoleSession.message(type, frame);
            case IDLE:
                if (type == PgProtocol.TERMINATE) {
                    close("client close request");
                }
                return DROP; // classify reads only Terminate unlinked: any other message got a server first
            case ACTIVE:
                return path.message(server, type, frame);
            default:
                return STOP;
        }
    }

    @Override
    protected void afterStop(ChannelHandlerContext ctx) {
        if (state() == ClientState.WAITING) {
            pool.serveQueue();
        }
    }

    @Override
    protected void forward(ChannelHandlerContext ctx, ByteBuf run) {
        if (server != null && state() == ClientState.ACTIVE && !failing) {
            pool.stats().clientBytes += run.readableBytes();
            sendToPeer(ctx, server.channel(), run);
        } else {
            run.release();
        }
    }

    @Override
    protected void onProtocolError(ChannelHandlerContext ctx, String message) {
        fail(PgProtocol.PROTOCOL_VIOLATION, message);
    }

    // ---- what the linked server asks ----

    /** Its statement path: set from the welcome on, so for every client a server is linked to. */
    StatementPath path() { return path; }

    /** SHOW CLIENTS prepared_statements. */
    @Override
    public int preparedStatementCount() {
        return path == null ? 0 : path.preparedStatementCount();
    }

    /** The client's settings now (the same object until one changes): what a server's settings must match. */
    Map<String, String> settingsSnapshot() {
        return settings.snapshot();
    }

    /** The parameters the pooler tracks now (a new list after a reload that changes them). */
    List<String> trackedParameters() {
        return manager.trackedParameters();
    }

    /** The query that makes a server's settings this client's, or null (see {@link ClientSettings#applyQuery}). */
    String parameterSetQuery(Map<String, String> serverParams) {
        return settings.applyQuery(serverParams, manager, pool);
    }

    /** The server reported a parameter while linked to this client: that is now the client's value. */
    void serverParameterChanged(String name, String value) {
        String key = name.toLowerCase(Locale.ROOT);
        if (ClientSettings.carried(key, manager, pool)) {
            settings.put(key, value);
        }
    }

    /**
     * The tracked parameters to read back from the server before it is released, because a statement of this
     * client may have changed them and the server does not report them; empty when there is nothing to ask.
     */
    List<String> settingsToReadBack() {
        return settings.readbackNeeded() ? ClientSettings.unreported(manager, pool) : List.of();
    }

    boolean settingsReadbackPending() {
        return settings.readbackNeeded();
    }

    /** The server's answer to the read-back of {@code names} (null row: the query failed). */
    void settingsReadBack(List<String> names, String[] row) {
        settings.readBack(names, row);
    }

    // ---- pool callbacks ----

    /** The pool linked a server: forward what the client sent while it waited. */
    @Override
    public void linked(PoolServer linked) {
        ServerConnection s = (ServerConnection) linked;
        server = s;
        ClientOutput.autoRead(ctx.channel(), s.channel().isWritable());
        resumeScan(ctx);
        s.flush();
        if (cancelQueued) {
            cancelQueued = false;
            QueuedCancel.linked(this, s); // only now: the query it is meant for has just been sent to s
        }
    }

    /** The pool took the server back (transaction/statement mode). */
    @Override
    public void released() {
        server = null;
        path.released();
        ClientOutput.autoRead(ctx.channel(), true);
    }

    @Override
    public void suspend(boolean suspended) {
        ctx.channel().config().setAutoRead(!suspended);
        if (suspended) {
            ctx.channel().flush();
        }
    }

    /** A CancelRequest for this client arrived while it waits for a server: send it once one is linked. */
    @Override
    public void cancelWhenLinked() {
        cancelQueued = true;
    }

    @Override public boolean cancelPending() { return cancelQueued; }
    @Override public dev.poolctl.pooler.pool.Replication replication() { return settings.replication(); }
    @Override public Map<String, String> replicationStartup() { return settings.replicationStartup(); }

    @Override public void notice(String message) { ClientOutput.reply(ctx, BackendMessages.notice(ctx.alloc(), message)); }

    // ---- ending ----

    /** Sends a FATAL ErrorResponse and closes: PgBouncer's disconnect_client with a message. */
    @Override
    public void fail(String sqlState, String message) {
        if (failing || state() == ClientState.CLOSED || !ctx.channel().isOpen()) {
            return;
        }
        failing = true;
        releaseKept();
        ClientLogin.failed(login, this, sqlState);
        if (manager.config().general().logPoolerErrors()) {
            manager.log().warning(prefix() + " pooler error: " + message);
        }
        if (closeReason == null) {
            closeReason = message;
        }
        // Sent once the lines are written, as with PgBouncer's synchronous log: whoever reads the client's error can
        // find the line in the log already. Nothing more is read from the client meanwhile.
        logClosing(closeReason);
        ctx.channel().config().setAutoRead(false);
        manager.log().afterWritten(() -> LastMessage.sendAndClose(ctx,
                BackendMessages.errorResponse(ctx.alloc(), "FATAL", sqlState, message)), ctx.executor());
        // The slot (max_client_conn, the pool's lists) is free at once, not when the peer has read the error;
        // after this read, as callers may still be using the pool's state.
        ctx.executor().execute(() -> closed("client failed"));
    }

    /** Off the pool's lists at once: the task fail queued then finds the client closed. */
    @Override public void failNow(String sqlState, String why) { fail(sqlState, why); closed("client failed"); }

    @Override
    public void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        limits.release(manager.global()); // now, not once Netty reports it inactive: a quick reconnect finds room
        ctx.close();
        closed(reason); // off the lists now: io_uring reports it inactive a loop turn later (test_client_id)
    }

    /** PgBouncer's {@code closing because: <reason> (age=Ns)} line, once per client. */
    private void logClosing(String reason) {
        if (closingLogged || !manager.config().general().logDisconnections()) {
            return;
        }
        closingLogged = true;
        long age = (System.nanoTime() - connectNanos) / 1_000_000_000L;
        manager.log().log(prefix() + " closing because: " + reason + " (age=" + age + "s)");
    }

    void closed(String defaultReason) {
        if (state() == ClientState.CLOSED) {
            return;
        }
        ClientState was = state();
        releaseKept();
        if (path != null) {
            path.clearStatements();
        }
        ClientLogin.release(login);
        if (was != ClientState.STARTUP || closeReason != null) {
            logClosing(closeReason != null ? closeReason : defaultReason);
        }
        ServerConnection s = server;
        server = null;
        limits.release(manager.global());
        manager.clientClosed(this, admitted, s);
    }
}

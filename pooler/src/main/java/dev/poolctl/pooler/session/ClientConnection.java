package dev.poolctl.pooler.session;

import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.hazard.Hazard;
import dev.poolctl.pooler.hazard.StatementScanner;
import dev.poolctl.pooler.admin.AdminConsole;
import dev.poolctl.pooler.config.PoolMode;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolClient;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.PoolServer;
import dev.poolctl.pooler.pool.StateEntry;
import dev.poolctl.pooler.prepare.ClientStatements;
import dev.poolctl.pooler.prepare.OutstandingRequests;
import dev.poolctl.pooler.prepare.SharedStatement;
import dev.poolctl.pooler.prepare.StatementRewriter;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import dev.poolctl.pooler.protocol.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One client: the pooler pretends to be PostgreSQL (PgBouncer's client.c). Handles the startup packets and
 * login, then forwards the client's messages to the linked server, asking the pool for one when a request
 * arrives while none is linked.
 */
public final class ClientConnection extends PgStreamHandler implements PoolClient {
    private final long id;
    private final PoolManager manager;
    private final AdminConsole console;
    private final long connectNanos;
    private ChannelHandlerContext ctx;
    /** Its state and place in the lists of the manager (logging in, console) or of its pool. */
    private final StateEntry<ClientState, PoolClient> entry;
    private final StartupReader startupReader = new StartupReader();

    private String user = "(nouser)";
    private String database = "(nodb)";
    private String address = "";
    private ClientAuthenticator authenticator;
    private Pool pool;
    private ServerConnection server;
    private final ClientOutput output = new ClientOutput();
    /** The settings carried to each server this client gets (PgBouncer's varcache). */
    private final ClientSettings settings = new ClientSettings();
    /** Query and Parse texts are scanned for hazards and setting changes (transaction and statement mode). */
    private boolean scanStatements;
    /** Hazards already logged for this client: each kind is logged once per client. */
    private int hazardsLogged;
    /**
     * A scanned text opened a transaction block the server has not yet confirmed with ReadyForQuery (pgjdbc sends
     * BEGIN in the same pipeline as the first statement); cleared when the block ends or the server is released.
     */
    private boolean blockBegun;
    private int cancelPid;
    private int cancelKey;
    private final QueuedCancel queuedCancel = new QueuedCancel();
    private long lastActivityNanos;
    /** Rewrites named prepared statements (transaction/statement mode); null when they pass unchanged. */
    private StatementRewriter rewriter;
    /** Syncs sent since the last Execute or Query: the ones a server in copy-in ignores (see copyEndedByClient). */
    private int syncsSinceCommand;

    public ClientConnection(long id, PoolManager manager, AdminConsole console, long nowNanos) {
        this.id = id;
        this.manager = manager;
        this.console = console;
        this.connectNanos = nowNanos;
        this.entry = new StateEntry<>(this, ClientState.STARTUP, nowNanos);
        this.lastActivityNanos = nowNanos;
    }

    @Override public StateEntry<ClientState, PoolClient> entry() { return entry; }
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
    public int cancelPid() { return cancelPid; }
    public int cancelKey() { return cancelKey; }

    /** The application_name the client set (startup or SET), "" when none: SHOW CLIENTS. */
    public String applicationName() {
        String name = settings.get("application_name");
        return name == null ? "" : name;
    }

    public String prefix() {
        return "C-" + id + ": " + database + "/" + user + "@" + address;
    }

    @Override
    public ClientState state() {
        return entry.state();
    }

    // ---- Netty ----

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
        address = describe(ctx.channel().remoteAddress());
    }

    private static String describe(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return "unix:" + (a == null ? "" : a.toString());
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        admitted = manager.admitClient(this);
        if (!admitted) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "no more connections allowed (max_client_conn)");
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        closed("client unexpected eof");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        manager.log().warning(prefix() + " " + cause.getClass().getSimpleName() + ": " + cause.getMessage());
        ctx.close();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastActivityNanos = System.nanoTime();
        if (failing) {
            // Closing after an error: whatever else the client sends is discarded, never buffered.
            ((ByteBuf) msg).release();
        } else if (state() == ClientState.STARTUP) {
            readStartup(ctx, (ByteBuf) msg);
        } else if (state() != ClientState.CLOSED) {
            super.channelRead(ctx, msg);
        } else {
            ((ByteBuf) msg).release();
        }
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

    void flush() {
        ctx.channel().flush();
    }

    // ---- startup phase ----

    private void readStartup(ChannelHandlerContext ctx, ByteBuf in) {
        startupReader.add(ctx.alloc(), in);
        try {
            StartupPacket packet;
            while (state() == ClientState.STARTUP && !failing && (packet = startupReader.next()) != null) {
                if (packet instanceof StartupPacket.SslRequest || packet instanceof StartupPacket.GssEncRequest) {
                    if (startupReader.hasMore()) {
                        // Bytes sent before our answer could be injected by a man in the middle (CVE-2021-23222).
                        fail(PgProtocol.PROTOCOL_VIOLATION, "unencrypted data after SSL request");
                        return;
                    }
                    ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('N'));
                } else if (packet instanceof StartupPacket.CancelRequest cancel) {
                    // Open until the cancel is done (PgBouncer); whatever else it sends is discarded.
                    failing = true;
                    ctx.channel().config().setAutoRead(false);
                    manager.cancelRequest(this); // counted as a cancel request from now on, not as cl_login
                    manager.cancel(cancel.pid(), cancel.key(), this::closeQuietly);
                    return;
                } else {
                    startup((StartupPacket.StartupMessage) packet);
                }
            }
        } catch (PgProtocolException e) {
            fail(PgProtocol.PROTOCOL_VIOLATION, e.getMessage());
            return;
        }
        if (state() == ClientState.STARTUP || failing) {
            startupReader.compact();
        } else {
            // Whatever the client pipelined behind its StartupMessage is typed messages: the stream handler's.
            ByteBuf rest = startupReader.takeRest();
            if (rest != null) {
                super.channelRead(ctx, rest);
            }
        }
    }

    private void startup(StartupPacket.StartupMessage startup) {
        long now = System.nanoTime();
        user = startup.user();
        database = startup.database();
        GeneralSettings general = manager.config().general();
        StartupParameters parameters = StartupParameters.read(startup.parameters(), settings, manager);
        if (parameters.error != null) {
            fail(PgProtocol.PROTOCOL_VIOLATION, parameters.error);
            return;
        }
        if (startup.minorVersion() > 0 || !parameters.unrecognizedProtocolOptions.isEmpty()) {
            // As PostgreSQL and PgBouncer: say we speak 3.0 and which _pq_ options we ignore; the login goes on.
            ctx.writeAndFlush(BackendMessages.negotiateProtocolVersion(ctx.alloc(), parameters.unrecognizedProtocolOptions));
        }
        if (general.logConnections()) {
            manager.log().log(prefix() + " login attempt: db=" + database + " user=" + user + " tls=no");
        }
        if (ADMIN_DATABASE.equals(database) && ADMIN_DATABASE.equals(user) && PeerCredentials.sameUser(ctx.channel())) {
            // PgBouncer: user pgbouncer over the unix socket from our own OS user is admin without a password.
            manager.log().log(prefix() + " pgbouncer access from unix socket");
            peerAdmin = true;
            adminLogin();
            return;
        }
        AuthType authType = general.authType();
        authenticator = new ClientAuthenticator(user, manager.userlist().secret(user).orElse(null));
        if (authenticator.isUnknownUser() && authType != AuthType.ANY) {
            manager.log().log(prefix() + " no such user: " + user);
        }
        manager.authenticating(this);
        ByteBuf request = authenticator.start(authType, ctx.alloc());
        if (authenticator.failure() != null) {
            fail(PgProtocol.PROTOCOL_VIOLATION, authenticator.failure());
        } else if (request == null) {
            loginAuthenticated();
        } else {
            ctx.writeAndFlush(request);
        }
    }

    private void loginAuthenticated() {
        if (ADMIN_DATABASE.equals(database)) {
            authenticator = null;
            adminLogin();
            return;
        }
        // Like PgBouncer (1.17+), the database is looked up only after authentication: names are not probeable.
        Optional<DatabaseConfig> db = manager.config().database(database);
        if (db.isEmpty()) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "no such database: " + database);
            return;
        }
        if (manager.isDisabled(database)) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "database does not allow connections: " + database);
            return;
        }
        if (manager.config().general().authType() == AuthType.ANY && db.get().user() == null) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "auth_type=any needs a forced user (user=) for database " + database);
            return;
        }
        pool = manager.pool(db.get(), db.get().user() != null ? db.get().user() : user);
        pool.stats().clientLoginCount++;
        if (authenticator.scramClientKey() != null) {
            pool.rememberScramKey(authenticator.scramClientKey());
        }
        authenticator = null;
        pool.clientLoginWait(this);
    }

    /** The pool knows the server's parameters: send the welcome and become idle. */
    @Override
    public void finishLogin(Map<String, String> serverWelcome) {
        scanStatements = pool.mode() != PoolMode.SESSION;
        if (pool.rewritesPreparedStatements()) {
            rewriter = new StatementRewriter(new ClientStatements(pool.statementRegistry()), pool.statementRegistry());
        }
        sendWelcome(serverWelcome);
        ctx.channel().config().setAutoRead(true);
        resumeScan(ctx);
    }

    /** AuthenticationOk, the ParameterStatus set, BackendKeyData and ReadyForQuery in one write. */
    private void sendWelcome(Map<String, String> serverWelcome) {
        cancelPid = manager.newCancelKey(this);
        cancelKey = manager.cancelSecret(this);
        ByteBuf b = ctx.alloc().buffer(512);
        b.writeByte(PgProtocol.AUTHENTICATION).writeInt(8).writeInt(PgProtocol.AUTH_OK);
        for (Map.Entry<String, String> p : serverWelcome.entrySet()) {
            String wanted = settings.get(p.getKey().toLowerCase(Locale.ROOT));
            BackendMessages.writeParameterStatus(b, p.getKey(), wanted != null ? wanted : p.getValue());
        }
        BackendMessages.writeBackendKeyData(b, cancelPid, cancelKey);
        BackendMessages.writeReadyForQuery(b, PgProtocol.TX_IDLE);
        ctx.writeAndFlush(b);
    }

    // ---- admin console ----

    /** Who may use the console: PgBouncer's admin_users (everything), stats_users (SHOW only). */
    private void adminLogin() {
        GeneralSettings g = manager.config().general();
        // auth_type=any lets any name in (PgBouncer's admin_post_login), but admin rights still go by admin_users.
        adminUser = peerAdmin || g.adminUsers().contains(user);
        if (!adminUser && g.authType() != AuthType.ANY && !g.statsUsers().contains(user)) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "not allowed");
            return;
        }
        sendWelcome(dev.poolctl.pooler.admin.AdminConsole.WELCOME);
        manager.adminLoggedIn(this);
        resumeScan(ctx);
    }

    private boolean adminUser;
    /** Logged in as pgbouncer over the unix socket by a process of our own OS user. */
    private boolean peerAdmin;

    /** This client as the console sees it. */
    private final dev.poolctl.pooler.admin.ConsoleClient consoleClient = new dev.poolctl.pooler.admin.ConsoleClient() {
        @Override
        public boolean isAdmin() {
            return adminUser;
        }

        @Override
        public boolean isOpen() {
            return state() == ClientState.ADMIN && ctx.channel().isOpen();
        }

        @Override
        public io.netty.buffer.ByteBufAllocator alloc() {
            return ctx.alloc();
        }

        @Override
        public void send(ByteBuf answer) {
            ClientOutput.reply(ctx, answer);
        }
    };

    private int adminMessage(byte type, ByteBuf frame) {
        switch (type) {
            case PgProtocol.QUERY -> {
                String sql = dev.poolctl.pooler.protocol.Messages.passwordText(frame);
                ByteBuf out = ctx.alloc().buffer(1024);
                console.execute(sql, consoleClient, out);
                if (out.isReadable()) {
                    ClientOutput.reply(ctx, out);
                } else {
                    out.release(); // deferred: PAUSE and WAIT_CLOSE answer when the pools are done
                }
            }
            case PgProtocol.TERMINATE -> close("client close request");
            case PgProtocol.PARSE, PgProtocol.BIND, PgProtocol.EXECUTE ->
                    fail(PgProtocol.PROTOCOL_VIOLATION, "extended query protocol not supported by admin console");
            default -> fail(PgProtocol.PROTOCOL_VIOLATION,
                    "unsupported packet type for admin console: " + (char) type);
        }
        return DROP;
    }

    // ---- typed messages ----

    /** Password, SASL and console messages are small; a huge one there is an attack, not a login or command. */
    private static final int MAX_LOGIN_PACKET = 64 * 1024;
    /** The virtual database of the admin console. */
    private static final String ADMIN_DATABASE = "pgbouncer";

    @Override
    protected int maxPacketSize() {
        return state() == ClientState.AUTH || state() == ClientState.ADMIN
                ? MAX_LOGIN_PACKET : manager.config().general().maxPacketSize();
    }

    @Override
    protected int classify(byte type, int length) {
        if (ClientAuthenticator.unexpectedPacket(state(), type) != null) {
            // A StartupMessage-like packet after the startup phase never restarts the login (PgBouncer < 1.26.1
            // took one sent during SCRAM as a new login); refused at its header, before waiting for its body.
            fail(PgProtocol.PROTOCOL_VIOLATION, ClientAuthenticator.unexpectedPacket(state(), type));
            return HOLD;
        }
        switch (state()) {
            case ACTIVE:
                return classifyLinked(type, length);
            case IDLE:
                if (type == PgProtocol.TERMINATE) {
                    return NEED_BODY;
                }
                ServerConnection ready = (ServerConnection) pool.takeReadyServer(this);
                if (ready != null) {
                    server = ready;
                    // Common case: a server is idle. Linked now, this message and the rest of the read are
                    // forwarded at once, with no buffering and no pause of the socket.
                    return classifyLinked(type, length);
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

    /**
     * Queries and Parses longer than this are not scanned (they stream through): bulk loads, not session
     * settings, and a text we must see whole is held in memory.
     */
    private static final int SCAN_LIMIT = 64 * 1024;

    private boolean scans(int length) {
        return scanStatements && length <= SCAN_LIMIT;
    }

    private int classifyLinked(byte type, int length) {
        switch (type) {
            case PgProtocol.QUERY -> {
                syncsSinceCommand = 0; // idempotent: classify may see a split Query again
                if (scans(length)) {
                    return NEED_BODY; // counted as a request in onMessage: classify may run again on a split message
                }
                expectReadyForQuery();
                return PASS;
            }
            case PgProtocol.SYNC, PgProtocol.FUNCTION_CALL -> {
                syncsSinceCommand = type == PgProtocol.SYNC ? syncsSinceCommand + 1 : 0;
                expectReadyForQuery();
                return PASS;
            }
            case PgProtocol.TERMINATE -> {
                return NEED_BODY;
            }
            case PgProtocol.PARSE -> {
                return rewriter != null || scans(length) ? NEED_BODY : PASS;
            }
            case PgProtocol.BIND, PgProtocol.DESCRIBE, PgProtocol.CLOSE -> {
                return rewriter != null ? NEED_BODY : PASS;
            }
            case PgProtocol.COPY_DONE, PgProtocol.COPY_FAIL -> {
                server.copyEndedByClient(syncsSinceCommand);
                syncsSinceCommand = 0;
                return PASS;
            }
            case PgProtocol.EXECUTE -> {
                syncsSinceCommand = 0;
                if (rewriter != null) {
                    server.requests().add(OutstandingRequests.Kind.EXECUTE);
                }
                return PASS;
            }
            default -> {
                return PASS;
            }
        }
    }

    @Override
    protected int onMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        if (output.mustHold(ctx.channel(), state(), type, rewriter != null)) {
            return STOP;
        }
        if (output.turnUsed(state(), type, rewriter != null)) {
            // Scheduled, not executed: a task queued now would run in this same batch of tasks, before other reads.
            ctx.executor().schedule(() -> {
                if (!failing && state() != ClientState.CLOSED) {
                    resumeAndFlush();
                }
            }, 0, java.util.concurrent.TimeUnit.NANOSECONDS);
            return STOP;
        }
        switch (state()) {
            case AUTH:
                return authMessage(type, frame);
            case ADMIN:
                return adminMessage(type, frame);
            case IDLE:
            case ACTIVE:
                if (type == PgProtocol.TERMINATE) {
                    close("client close request");
                    return DROP;
                }
                if (type == PgProtocol.QUERY) {
                    expectReadyForQuery();
                    scan(frame, frame.readerIndex() + 5);
                    return FORWARD;
                }
                if (type == PgProtocol.PARSE && scanStatements) {
                    int nameEnd = frame.indexOf(frame.readerIndex() + 5, frame.writerIndex(), (byte) 0);
                    if (nameEnd >= 0) {
                        scan(frame, nameEnd + 1);
                    }
                    if (rewriter == null) {
                        return FORWARD;
                    }
                }
                return statementMessage(type, frame);
            default:
                return STOP;
        }
    }

    /** A Query, Sync or FunctionCall: the server answers it with ReadyForQuery. */
    private void expectReadyForQuery() {
        server.expectReadyForQuery();
        if (rewriter != null) {
            server.requests().add(OutstandingRequests.Kind.SYNC);
        }
    }

    // ---- hazards and setting changes (transaction and statement mode) ----

    /** What the scanner needs to know about parameters: tracked by the pooler, and reported by the server. */
    private final StatementScanner.Parameters scanParameters =
            new StatementScanner.Parameters() {
                @Override
                public boolean isTracked(String name) {
                    return ClientSettings.carried(name, manager, pool);
                }

                @Override
                public boolean needsReadback(String name) {
                    return manager.isTrackedParameter(name) && !pool.welcome().isReported(name);
                }
            };

    /** Scans the SQL text of a Query or Parse that starts at {@code from} (up to its NUL terminator). */
    private void scan(ByteBuf frame, int from) {
        int end = frame.indexOf(from, frame.writerIndex(), (byte) 0);
        if (end < 0) {
            end = frame.writerIndex();
        }
        boolean inTransaction = blockBegun || (server != null && server.txStatus() != PgProtocol.TX_IDLE);
        int found = StatementScanner.scan(frame, from, end, inTransaction, scanParameters);
        if (found == 0) {
            return;
        }
        if ((found & StatementScanner.BLOCK_BEGUN) != 0) {
            blockBegun = true;
        } else if ((found & StatementScanner.BLOCK_ENDED) != 0) {
            blockBegun = false;
        }
        if ((found & StatementScanner.SETTINGS_CHANGED) != 0) {
            settings.markReadbackNeeded();
        }
        for (Hazard h : Hazard.values()) {
            if ((found & h.bit()) != 0) {
                pool.countHazard(h);
                if ((hazardsLogged & h.bit()) == 0) {
                    hazardsLogged |= h.bit();
                    manager.log().log(prefix() + " " + h.statement() + " in " + pool.mode()
                            + " pooling mode: the next transaction may run on another server");
                }
            }
        }
    }

    // ---- prepared statements (transaction and statement mode) ----

    /** A Parse, Bind, Describe or Close while the statements are rewritten (classify asks only for those). */
    private int statementMessage(byte type, ByteBuf frame) {
        if (server == null) {
            return DROP; // cannot happen: linked in classify
        }
        ServerConnection s = server;
        try {
            StatementRewriter.Link link = new StatementRewriter.Link(s.statements(), s.requests(),
                    pool.maxPreparedStatements(), pool.stats(), ctx.alloc());
            return rewriter.handle(type, frame, link, rewriterOutput) == StatementRewriter.FORWARD ? FORWARD : DROP;
        } catch (PgProtocolException e) {
            fail(PgProtocol.PROTOCOL_VIOLATION, e.getMessage());
        } catch (StatementRewriter.StatementError e) {
            manager.log().warning(prefix() + " " + e.getMessage() + ": " + describeStatement(type, frame));
            fail(e.sqlState(), e.getMessage());
        }
        return DROP;
    }

    private static String describeStatement(byte type, ByteBuf frame) {
        int end = Math.min(frame.writerIndex(), frame.readerIndex() + 80);
        return "'" + (char) type + "' " + frame.toString(frame.readerIndex() + 5, end - frame.readerIndex() - 5,
                java.nio.charset.StandardCharsets.ISO_8859_1).replace('\0', ' ').strip();
    }

    private final StatementRewriter.Output rewriterOutput = new StatementRewriter.Output() {
        @Override
        public void toServer(ByteBuf message) {
            emit(message);
        }

        @Override
        public void toClient(ByteBuf message) {
            ClientOutput.reply(ctx, message);
        }
    };

    /** Whether this client's named statements are rewritten: its server must match answers to requests. */
    boolean rewritesStatements() {
        return rewriter != null;
    }

    /** The server ran DEALLOCATE ALL or DISCARD ALL for this client. */
    void clearStatements() {
        if (rewriter != null) {
            rewriter.statements().clear();
        }
    }

    /** A Parse of this client that the server never carried out. */
    void forgetStatement(String name, SharedStatement s) {
        if (rewriter != null) {
            rewriter.statements().forget(name, s);
        }
    }

    /** SHOW CLIENTS prepared_statements. */
    public int preparedStatementCount() {
        return rewriter == null ? 0 : rewriter.statements().size();
    }

    @Override
    protected void afterStop(ChannelHandlerContext ctx) {
        if (state() == ClientState.WAITING) {
            pool.serveQueue();
        }
    }

    private int authMessage(byte type, ByteBuf frame) {
        if (type != PgProtocol.PASSWORD_MESSAGE) {
            fail(PgProtocol.PROTOCOL_VIOLATION, "expected a password packet, got '" + (char) type + "'");
            return DROP;
        }
        Runnable slow = authenticator.slowWork(frame);
        if (slow != null) {
            deriveOffLoop(slow);
            return STOP; // this message is kept and read again once the keys are ready
        }
        ByteBuf[] reply = new ByteBuf[1];
        try {
            ClientAuthenticator.Step step = authenticator.step(frame, ctx.alloc(), reply);
            if (reply[0] != null) {
                ctx.write(reply[0]);
            }
            switch (step) {
                case OK -> {
                    ctx.flush();
                    loginAuthenticated();
                }
                case FAILED -> fail(PgProtocol.PROTOCOL_VIOLATION, authenticator.failure());
                default -> ctx.flush();
            }
        } catch (PgProtocolException e) {
            fail(PgProtocol.PROTOCOL_VIOLATION, e.getMessage());
        }
        return DROP;
    }

    /** SCRAM key derivation runs on a worker thread; then the kept password message is read again. */
    private void deriveOffLoop(Runnable slow) {
        ClientAuthenticator waiting = authenticator;
        dev.poolctl.pooler.auth.KeyDerivation.submit(() -> {
            try {
                slow.run();
            } finally {
                ctx.executor().execute(() -> {
                    if (authenticator == waiting && state() == ClientState.AUTH && !failing) {
                        resumeScan(ctx);
                    }
                });
            }
        });
    }

    @Override
    protected void forward(ChannelHandlerContext ctx, ByteBuf run) {
        if (server != null && state() == ClientState.ACTIVE) {
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

    // ---- pool callbacks ----

    /** The pool linked a server: forward what the client sent while it waited. */
    @Override
    public void linked(PoolServer linked) {
        ServerConnection s = (ServerConnection) linked;
        server = s;
        ctx.channel().config().setAutoRead(s.channel().isWritable());
        resumeScan(ctx);
        s.flush();
        queuedCancel.linked(this, s); // only now: the query it is meant for has just been sent to s
    }

    /** The pool took the server back (transaction/statement mode). */
    @Override
    public void released() {
        server = null;
        blockBegun = false;
        ctx.channel().config().setAutoRead(true);
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
        queuedCancel.request();
    }

    @Override
    public boolean cancelPending() {
        return queuedCancel.pending();
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

    // ---- ending ----

    /** Sends a FATAL ErrorResponse and closes: PgBouncer's disconnect_client with a message. */
    public void fail(String sqlState, String message) {
        if (failing || state() == ClientState.CLOSED || !ctx.channel().isOpen()) {
            return;
        }
        failing = true;
        releaseKept();
        startupReader.release();
        if (manager.config().general().logPoolerErrors()) {
            manager.log().warning(prefix() + " pooler error: " + message);
        }
        if (closeReason == null) {
            closeReason = message;
        }
        // Logged before the error is sent, as PgBouncer's disconnect_client: whoever reads the client's error can
        // find the line in the log already.
        logClosing(closeReason);
        LastMessage.sendAndClose(ctx, BackendMessages.errorResponse(ctx.alloc(), "FATAL", sqlState, message));
        // The slot (max_client_conn, the pool's lists) is free at once, not when the peer has read the error;
        // after this read, as callers may still be using the pool's state.
        ctx.executor().execute(() -> closed("client failed"));
    }

    /** An error that does not end the session (e.g. the server went away in transaction mode). */
    public void sendError(String severity, String sqlState, String message) {
        ClientOutput.reply(ctx, BackendMessages.errorResponse(ctx.alloc(), severity, sqlState, message));
    }

    private String closeReason;
    private boolean failing;
    /** Counted against max_client_conn; only admitted clients are uncounted at close. */
    private boolean admitted;

    public boolean admitted() {
        return admitted;
    }

    public void close(String reason) {
        if (closeReason == null) {
            closeReason = reason;
        }
        ctx.close();
    }

    private void closeQuietly() {
        closeReason = "cancel request";
        ctx.close();
    }

    private boolean closingLogged;

    /** PgBouncer's {@code closing because: <reason> (age=Ns)} line, once per client. */
    private void logClosing(String reason) {
        if (closingLogged || !manager.config().general().logDisconnections()) {
            return;
        }
        closingLogged = true;
        long age = (System.nanoTime() - connectNanos) / 1_000_000_000L;
        manager.log().log(prefix() + " closing because: " + reason + " (age=" + age + "s)");
    }

    private void closed(String defaultReason) {
        if (state() == ClientState.CLOSED) {
            return;
        }
        ClientState was = state();
        releaseKept();
        if (rewriter != null) {
            rewriter.statements().clear();
        }
        startupReader.release();
        if (was != ClientState.STARTUP || closeReason != null) {
            logClosing(closeReason != null ? closeReason : defaultReason);
        }
        ServerConnection s = server;
        server = null;
        manager.clientClosed(this, admitted, s);
    }
}

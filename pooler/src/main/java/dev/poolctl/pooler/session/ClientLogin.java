package dev.poolctl.pooler.session;

import dev.poolctl.pooler.admin.AdminConsole;
import dev.poolctl.pooler.auth.KeyDerivation;
import dev.poolctl.pooler.auth.LdapAuthentication;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.config.AuthQuerySource;
import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.LdapOptions;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.net.TlsContexts;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.Replication;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.ParameterStatusSet;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import dev.poolctl.pooler.protocol.StartupPacket;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A client's login phase (PgBouncer's client.c up to the welcome): the startup packets (SSLRequest,
 * CancelRequest, StartupMessage), authentication, then the pool (or the console) and the welcome.
 */
final class ClientLogin {
    /** The virtual database of the admin console. */
    static final String ADMIN_DATABASE = AuthQuerySource.ADMIN_DATABASE;

    private final ClientConnection client;
    private final StartupReader startupReader = new StartupReader();
    private ClientAuthenticator authenticator;
    /** The auth_query this login waits for, or null; and whether a message of the client is held meanwhile. */
    private AuthQueryClient authQuery;
    private boolean heldForQuery;
    /** The password auth_query returned for the user (null when auth_file lists it). */
    private Secret fetched;
    /** A limit would refuse the login: it looks again once the other loops have read their sockets; reads wait. */
    private boolean lookingAgain;

    /** The client's loop's manager: after a move to another loop, that loop's. */
    private PoolManager manager() {
        return client.manager();
    }

    /** The client-side TLS contexts in force (they change at RELOAD). */
    private final Supplier<TlsContexts.Side> tls;

    ClientLogin(ClientConnection client, Supplier<TlsContexts.Side> tls) {
        this.client = client;
        this.tls = tls;
    }

    // ---- startup packets ----

    /** Bytes before the StartupMessage has been handled; what follows it goes to the typed-message reader. */
    void readStartup(ChannelHandlerContext ctx, ByteBuf in) {
        startupReader.add(ctx.alloc(), in);
        if (startupReader.firstByte() == ClientTls.TLS_HANDSHAKE
                && ClientTls.startDirect(ctx, tls.get(), client, startupReader::takeRest)) {
            return;
        }
        try {
            StartupPacket packet;
            while (client.state() == ClientState.STARTUP && !client.failing() && !lookingAgain
                    && (packet = startupReader.next()) != null) {
                if (packet instanceof StartupPacket.SslRequest || packet instanceof StartupPacket.GssEncRequest) {
                    if (startupReader.hasMore()) {
                        // Bytes sent before our answer could be injected by a man in the middle (CVE-2021-23222).
                        client.fail(PgProtocol.PROTOCOL_VIOLATION, "unencrypted data after SSL request");
                        return;
                    }
                    String refused = packet instanceof StartupPacket.SslRequest
                            ? ClientTls.answerSslRequest(ctx, tls.get()) : null;
                    if (refused != null) {
                        client.fail(PgProtocol.PROTOCOL_VIOLATION, refused);
                        return;
                    }
                    if (packet instanceof StartupPacket.GssEncRequest) {
                        ctx.writeAndFlush(ctx.alloc().buffer(1).writeByte('N'));
                    }
                } else if (packet instanceof StartupPacket.CancelRequest cancel) {
                    client.cancelRequest(cancel.pid(), cancel.key());
                    return;
                } else {
                    startup(ctx, (StartupPacket.StartupMessage) packet);
                }
            }
        } catch (PgProtocolException e) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, e.getMessage());
            return;
        }
        afterStartupPackets();
    }

    /** What follows the StartupMessage once it is handled, or what is kept until it is. */
    private void afterStartupPackets() {
        if (client.state() == ClientState.STARTUP || client.failing()) {
            startupReader.compact();
        } else {
            // Whatever the client pipelined behind its StartupMessage is typed messages: the stream handler's.
            ByteBuf rest = startupReader.takeRest();
            if (rest != null) {
                client.readTyped(rest);
            }
        }
    }

    private void startup(ChannelHandlerContext ctx, StartupPacket.StartupMessage startup) {
        client.named(startup.user(), startup.database());
        if (ClientTls.refusesPlain(ctx.channel(), tls.get())) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "SSL required"); // PgBouncer's words and SQLSTATE
            return;
        }
        GeneralSettings general = manager().config().general();
        StartupParameters parameters = StartupParameters.read(startup.parameters(), client.settings(), manager());
        if (parameters.error != null) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, parameters.error);
            return;
        }
        StartupParameters.addHost(client.settings(), ctx.channel().remoteAddress(), general);
        if (!ADMIN_DATABASE.equals(client.database()) && manager().stopping().refusesLogins()) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "pooler is shutting down"); // PgBouncer's, for cf_shutdown
            return;
        }
        maxClientConn(ctx, startup.minorVersion() > 0 || !parameters.unrecognizedProtocolOptions.isEmpty(),
                parameters.unrecognizedProtocolOptions, oneLoop());
    }

    /** With one loop a refusal is final at once; with several, see {@link #lookAgain}. */
    private boolean oneLoop() {
        return manager().global().managers().size() == 1;
    }

    /** max_client_conn (not for the console), then the answer to a newer protocol, then set_pool's limits. */
    private void maxClientConn(ChannelHandlerContext ctx, boolean negotiate, List<String> unrecognized,
                               boolean lastLook) {
        if (!ADMIN_DATABASE.equals(client.database()) && manager().overMaxClientConn()) {
            if (lastLook) {
                client.fail(PgProtocol.PROTOCOL_VIOLATION, "no more connections allowed (max_client_conn)");
            } else {
                lookAgain(ctx, () -> maxClientConn(ctx, negotiate, unrecognized, true));
            }
            return;
        }
        if (negotiate) {
            // As PostgreSQL and PgBouncer: say we speak 3.0 and which _pq_ options we ignore; the login goes on.
            ctx.writeAndFlush(BackendMessages.negotiateProtocolVersion(ctx.alloc(), unrecognized));
        }
        admit(ctx, oneLoop());
    }

    /**
     * A limit would refuse the login on one of several loops: it looks again once the other loops have read their
     * sockets ({@link LoopBarrier}), reads of this client held meanwhile; a client that closed there just before
     * this one came may not be seen yet (PgBouncer's one loop reads its Terminate first).
     */
    private void lookAgain(ChannelHandlerContext ctx, Runnable step) {
        lookingAgain = true;
        ctx.channel().config().setAutoRead(false);
        LoopBarrier.afterOtherLoops(manager(), ctx.executor(), () -> {
            lookingAgain = false;
            if (client.state() == ClientState.STARTUP && !client.failing() && ctx.channel().isOpen()) {
                ctx.channel().config().setAutoRead(true);
                step.run();
                afterStartupPackets();
            }
        });
    }

    /** PgBouncer's set_pool: max_db_client_connections and max_user_client_connections, then the login goes on. */
    private void admit(ChannelHandlerContext ctx, boolean lastLook) {
        String user = client.user();
        String database = client.database();
        boolean peer = ADMIN_DATABASE.equals(database) && ADMIN_DATABASE.equals(user)
                && PeerCredentials.sameUser(ctx.channel());
        ClientLimits.Verdict verdict = client.limits().startup(client, manager(), peer, lastLook);
        if (verdict == ClientLimits.Verdict.REFUSED) {
            return; // the client has its error, as set_pool's disconnect_client
        }
        if (verdict == ClientLimits.Verdict.LOOK_AGAIN) {
            lookAgain(ctx, () -> admit(ctx, true));
            return;
        }
        GeneralSettings general = manager().config().general();
        if (general.logConnections()) {
            manager().log().log(client.prefix() + " login attempt: db=" + database + " user=" + user + " tls="
                    + ClientTls.logValue(ctx.channel()) + " replication=" + client.settings().replication().startupValue());
        }
        if (peer) {
            // PgBouncer: user pgbouncer over the unix socket from our own OS user is admin without a password.
            manager().log().log(client.prefix() + " pgbouncer access from unix socket");
            consoleLogin(ctx, true);
            return;
        }
        manager().authenticating(client);
        if (HbaLogin.usesLdap(general.authType(), manager().global().hba(), ctx.channel(), database, user,
                client.settings().replication() == Replication.PHYSICAL)) {
            if (authQuerySource().applies()) {
                manager().log().warning(client.prefix() + " LDAP can't be used together with database authentication");
                client.fail(PgProtocol.PROTOCOL_VIOLATION, "bouncer config error"); // PgBouncer's set_pool
                return;
            }
            challenge(ctx, null, true); // the directory knows the user, not auth_file
            return;
        }
        Secret listed = manager().userlist().secret(user).orElse(null);
        if (listed == null && general.authType() != AuthType.ANY && startAuthQuery(ctx)) {
            return;
        }
        boolean usable = listed != null && !manager().userlist().hasEmptyPassword(user);
        challenge(ctx, usable ? listed : null, listed != null);
    }

    private AuthQuerySource.Resolution authQuerySource() {
        String database = client.database();
        PoolerConfig config = manager().config();
        return AuthQuerySource.resolve(config, database,
                ADMIN_DATABASE.equals(database) ? Optional.empty() : config.database(database));
    }

    /**
     * The user is not in auth_file: when an auth_user applies to the database, its password comes from the
     * auth_query, run by a server of the (auth_dbname, auth_user) pool; the client waits, reads held. False when no
     * auth_user applies (auth_file alone decides, and the user is unknown).
     */
    private boolean startAuthQuery(ChannelHandlerContext ctx) {
        AuthQuerySource.Resolution r = authQuerySource();
        if (!r.applies()) {
            return false;
        }
        if (r.error() != null) {
            manager().log().warning(client.prefix() + " " + r.error());
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "bouncer config error");
            return true;
        }
        AuthQuerySource source = r.source();
        String authDb = source.database().name();
        if (manager().isDisabled(authDb)) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "authentication database \"" + authDb + "\" is disabled");
            return true;
        }
        PoolManager home = manager().global().managerFor(authDb);
        AuthQueryClient query = new AuthQueryClient(client, source.query(), home, ctx.channel().eventLoop(),
                answer -> authQueryAnswered(ctx, answer), manager().clock().nanoTime());
        authQuery = query;
        home.execute(() -> query.start(home.pool(source.database(), source.user())));
        return true;
    }

    /** On the client's loop: the auth_query's answer, for a client still waiting for it. */
    private void authQueryAnswered(ChannelHandlerContext ctx, AuthQueryClient.Answer answer) {
        if (authQuery == null || client.state() != ClientState.AUTH || client.failing()) {
            return;
        }
        authQuery = null;
        if (answer.failure() != null) {
            client.fail(answer.sqlState(), answer.failure());
            return;
        }
        String[] row = answer.row();
        // PgBouncer tells a client that auth_query does not find "no such user"; here it gets the same challenge
        // and error as for a wrong password, so user names cannot be probed (README: differences).
        if (row != null && !client.limits().authQueryFound(client, manager())) {
            return; // PgBouncer's handle_auth_query_response counts the user it found, and may refuse it
        }
        fetched = row == null || row[1] == null ? null : Secret.of(row[1]);
        boolean usable = fetched != null && !fetched.isEmptyPassword(client.user());
        challenge(ctx, usable ? fetched : null, row != null);
        if (heldForQuery) {
            heldForQuery = false;
            client.resume(); // what the client sent meanwhile (it should have waited for the challenge)
        }
    }

    /** The password request for this auth_type (or the HBA rule's method), or the verdict when none is needed. */
    private void challenge(ChannelHandlerContext ctx, Secret secret, boolean known) {
        String user = client.user();
        AuthType authType = manager().config().general().authType();
        authenticator = new ClientAuthenticator(user, secret, known,
                manager().config().general().intValue(Setting.SCRAM_ITERATIONS));
        if (authenticator.isUnknownUser() && authType != AuthType.ANY) {
            manager().log().log(client.prefix() + " no such user: " + user);
        }
        LdapOptions ldap = null;
        if (authType == AuthType.LDAP) {
            ldap = LdapOptions.cached(manager().config().general().raw(Setting.AUTH_LDAP_OPTIONS)); // checked at load
        } else if (authType == AuthType.HBA || authType == AuthType.CERT) {
            HbaLogin.Decision d = authType == AuthType.CERT
                    ? HbaLogin.cert(ctx.channel(), null, user, authenticator.isUnknownUser())
                    : HbaLogin.decide(manager().global().hba(), ctx.channel(), client.database(), user,
                            authenticator.isUnknownUser(), client.settings().replication() == Replication.PHYSICAL);
            if (d.logLine() != null) {
                manager().log().log(client.prefix() + " " + d.logLine());
            }
            if (d.failure() != null) {
                client.fail(PgProtocol.PROTOCOL_VIOLATION, d.failure());
                return;
            }
            authType = d.method();
            ldap = d.ldap();
        }
        ByteBuf request = authType == AuthType.LDAP ? authenticator.startLdap(ldap, ctx.alloc())
                : authenticator.start(authType, ctx.alloc());
        if (authenticator.failure() != null) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, authenticator.failure());
        } else if (request == null) {
            authenticated(ctx);
        } else {
            ctx.writeAndFlush(request);
        }
    }

    // ---- authentication ----

    /** A message in state AUTH: only a password (or SASL) message belongs here. */
    int passwordMessage(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        if (authenticator == null) {
            heldForQuery = true; // the auth_query runs: no challenge was sent yet, the message waits for it
            return PgStreamHandler.STOP;
        }
        if (type != PgProtocol.PASSWORD_MESSAGE) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "expected a password packet, got '" + (char) type + "'");
            return PgStreamHandler.DROP;
        }
        Runnable slow = authenticator.slowWork(frame);
        if (slow != null) {
            offLoop(ctx, slow, authenticator.slowWorkIsNetwork());
            return PgStreamHandler.STOP; // this message is kept and read again once the work is done
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
                    authenticated(ctx);
                }
                case FAILED -> {
                    for (String why : authenticator.ldapWarnings()) {
                        manager().log().warning(client.prefix() + " " + why);
                    }
                    client.fail(PgProtocol.PROTOCOL_VIOLATION, authenticator.failure());
                }
                default -> ctx.flush();
            }
        } catch (PgProtocolException e) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, e.getMessage());
        }
        return PgStreamHandler.DROP;
    }

    /**
     * SCRAM key derivation, or an LDAP check ({@code network}), runs on a worker thread; then the kept password
     * message is read again.
     */
    private void offLoop(ChannelHandlerContext ctx, Runnable slow, boolean network) {
        ClientAuthenticator waiting = authenticator;
        Runnable work = () -> {
            try {
                slow.run();
            } finally {
                ctx.executor().execute(() -> {
                    if (authenticator == waiting && client.state() == ClientState.AUTH && !client.failing()) {
                        client.resume();
                    }
                });
            }
        };
        if (!network) {
            KeyDerivation.submit(work);
        } else if (!LdapAuthentication.submit(work)) {
            manager().log().warning(client.prefix() + " LDAP queue is full");
            client.fail(PgProtocol.PROTOCOL_VIOLATION, ClientAuthenticator.LDAP_FAILED);
        }
    }

    private void authenticated(ChannelHandlerContext ctx) {
        String database = client.database();
        if (ADMIN_DATABASE.equals(database)) {
            authenticator = null;
            consoleLogin(ctx, false);
            return;
        }
        // Like PgBouncer (1.17+), the database is looked up only after authentication: names are not probeable.
        Optional<DatabaseConfig> db = manager().config().database(database);
        if (db.isEmpty()) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "no such database: " + database);
            return;
        }
        if (manager().isDisabled(database)) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "database \"" + database + "\" is disabled"); // 1.25's words
            return;
        }
        if (manager().config().general().authType() == AuthType.ANY && db.get().user() == null) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "auth_type=any needs a forced user (user=) for database " + database);
            return;
        }
        PoolManager home = manager().global().managerFor(database);
        home.global().loggedIn(home);
        if (home != manager()) {
            LoopHandover.move(client, home, () -> joinPool(db.get()));
        } else {
            joinPool(db.get());
        }
    }

    /** On the loop of the database's pools. */
    private void joinPool(DatabaseConfig db) {
        if (!manager().config().databases().containsKey(db.name())
                && manager().pools().stream().noneMatch(p -> p.key().database().equals(db.name()))) {
            // PgBouncer's find_or_register_database: the first client of a database made from the * entry
            manager().log().log(client.prefix() + " registered new auto-database: " + db.name());
        }
        Pool pool = manager().pool(db, db.user() != null ? db.user() : client.user());
        pool.stats().clientLoginCount++;
        if (pool.key().user().equals(client.user())) {
            // The pool's server logins can use what this login proved (not for a forced user: another user's).
            pool.credentials().remember(fetched, authenticator.scramClientKey(), authenticator.directoryPassword());
        }
        authenticator = null;
        client.joinPool(pool);
    }

    // ---- the console ----

    /** Who may use the console: PgBouncer's admin_users (everything), stats_users (SHOW only). */
    private void consoleLogin(ChannelHandlerContext ctx, boolean peer) {
        GeneralSettings g = manager().config().general();
        String user = client.user();
        // auth_type=any lets any name in (PgBouncer's admin_post_login), but admin rights still go by admin_users.
        boolean admin = peer || g.adminUsers().contains(user);
        if (!admin && g.authType() != AuthType.ANY && !g.statsUsers().contains(user)) {
            client.fail(PgProtocol.PROTOCOL_VIOLATION, "not allowed");
            return;
        }
        sendWelcome(ctx, AdminConsole.WELCOME);
        manager().adminLoggedIn(client);
        client.consoleStarted(admin);
    }

    // ---- welcome ----

    /** AuthenticationOk, the ParameterStatus set, BackendKeyData, login_notify_message and ReadyForQuery in one write. */
    void sendWelcome(ChannelHandlerContext ctx, ParameterStatusSet serverWelcome) {
        int cancelPid = manager().newCancelKey(client);
        int cancelKey = manager().cancelSecret(client);
        ByteBuf b = ctx.alloc().buffer(512);
        b.writeByte(PgProtocol.AUTHENTICATION).writeInt(8).writeInt(PgProtocol.AUTH_OK);
        serverWelcome.write(b, client.settings()::get);
        BackendMessages.writeBackendKeyData(b, cancelPid, cancelKey);
        String notify = manager().config().general().stringValue(Setting.LOGIN_NOTIFY_MESSAGE);
        if (!notify.isEmpty()) { // PgBouncer 1.26's login_notify_message: tells the client it is on a pooler
            BackendMessages.writeErrorOrNotice(b, PgProtocol.NOTICE_RESPONSE, "NOTICE", "00000", notify);
        }
        BackendMessages.writeReadyForQuery(b, PgProtocol.TX_IDLE);
        ctx.writeAndFlush(b);
        client.settings().snapshot(); // from now on the client holds the shared snapshot, not the startup's map
    }

    /** The client is closing with an ErrorResponse: a login that ends so is counted by SQLSTATE, then released. */
    static void failed(ClientLogin login, ClientConnection client, String sqlState) {
        if (login != null) {
            client.manager().global().clientLoginFailures().count(sqlState);
        }
        release(login);
    }

    /** The client is closing: the bytes kept for the startup phase go (none once logged in: {@code login} null). */
    static void release(ClientLogin login) {
        if (login != null) {
            login.startupReader.release();
            AuthQueryClient query = login.authQuery;
            if (query != null) {
                login.authQuery = null;
                query.manager().execute(query::abandon);
            }
        }
    }
}

package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.config.TargetSessionAttrs;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.Map;

/**
 * A server connection's login phase (PgBouncer's server.c before the first ReadyForQuery): answers the
 * authentication requests, keeps the ParameterStatus set and BackendKeyData, checks the server's role for
 * target_session_attrs, and runs the database's connect_query before the server joins its pool.
 */
final class ServerLoginPhase {
    private final ServerConnection server;
    /** Answers the server's authentication requests (SCRAM key derivation off the loop). */
    private final ServerAuthenticator authenticator;
    private final String connectQuery;
    private boolean connectQuerySent;
    private final ServerRole role;
    private boolean roleChecked;

    ServerLoginPhase(ServerConnection server, ServerLogin login, String connectQuery, ServerRole role) {
        this.server = server;
        this.connectQuery = connectQuery;
        this.role = role;
        // A login the pooler cannot complete (no password for the server's method, a bad SCRAM answer, an error
        // without SQLSTATE) fails the waiting clients as PgBouncer's kill_pool_logins does: 08P01, its default.
        this.authenticator = new ServerAuthenticator(login,
                message -> server.loginFailed(PgProtocol.PROTOCOL_VIOLATION, null, message));
    }

    int message(ChannelHandlerContext ctx, byte type, ByteBuf frame) {
        try {
            switch (type) {
                case PgProtocol.AUTHENTICATION -> authenticator.authenticate(ctx, frame);
                case PgProtocol.PARAMETER_STATUS -> {
                    String[] p = Messages.parameterStatus(frame);
                    server.loginParameter(p[0], p[1]);
                }
                case PgProtocol.BACKEND_KEY_DATA ->
                        server.backendKeyData(Messages.backendKeyPid(frame), Messages.backendKeySecret(frame));
                case PgProtocol.ERROR_RESPONSE -> {
                    Map<Character, String> e = Messages.errorFields(frame);
                    String code = e.getOrDefault('C', PgProtocol.PROTOCOL_VIOLATION);
                    String msg = e.getOrDefault('M', "server login failed");
                    server.loginFailed(code, e.get('S'), connectQuerySent ? "connect_query failed: " + msg : msg);
                }
                case PgProtocol.DATA_ROW -> {
                    if (!roleChecked) {
                        role.answer(Messages.dataRowTexts(frame)); // a connect_query's rows are dropped
                    }
                }
                case PgProtocol.READY_FOR_QUERY -> readyForQuery(ctx, frame);
                default -> { } // NoticeResponse and friends during login carry nothing we need
            }
        } catch (ScramException | RuntimeException e) {
            server.loginFailed(PgProtocol.PROTOCOL_VIOLATION, null, "server login failed: " + e.getMessage());
        }
        return PgStreamHandler.DROP;
    }

    private void readyForQuery(ChannelHandlerContext ctx, ByteBuf frame) {
        if (role.needsQuery()) {
            ctx.writeAndFlush(FrontendMessages.query(ctx.alloc(), ServerRole.QUERY)); // PostgreSQL before 14
            return;
        }
        if (!roleChecked) {
            roleChecked = true;
            var hosts = server.pool().hosts();
            String wrong = role.mismatch(hosts.noStandbyFound(server.pool().database()));
            if (wrong != null) {
                if (role.target() == TargetSessionAttrs.PREFER_STANDBY) {
                    hosts.primaryTurnedDown();
                }
                server.loginFailed(PgProtocol.CONNECTION_FAILURE, null, wrong); // the next host is tried
                return;
            }
        }
        if (connectQuery != null && !connectQuerySent) {
            connectQuerySent = true; // exec_on_connect: rows dropped, an error fails the login
            ctx.writeAndFlush(FrontendMessages.query(ctx.alloc(), connectQuery));
        } else {
            server.loggedIn(Messages.readyForQueryStatus(frame));
        }
    }

    /** The connection closed: a key derivation still running for it is not wanted any more. */
    void cancel() {
        authenticator.cancel();
    }
}

package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.util.Map;

/**
 * A server connection's login phase (PgBouncer's server.c before the first ReadyForQuery): answers the
 * authentication requests, keeps the ParameterStatus set and BackendKeyData, and runs the database's
 * connect_query before the server joins its pool.
 */
final class ServerLoginPhase {
    private final ServerConnection server;
    /** Answers the server's authentication requests (SCRAM key derivation off the loop). */
    private final ServerAuthenticator authenticator;
    private final String connectQuery;
    private boolean connectQuerySent;

    ServerLoginPhase(ServerConnection server, ServerLogin login, String connectQuery) {
        this.server = server;
        this.connectQuery = connectQuery;
        this.authenticator = new ServerAuthenticator(login,
                message -> server.loginFailed(PgProtocol.CONNECTION_FAILURE, message));
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
                    String code = e.getOrDefault('C', PgProtocol.CONNECTION_FAILURE);
                    String msg = e.getOrDefault('M', "server login failed");
                    server.loginFailed(code, connectQuerySent ? "connect_query failed: " + msg : msg);
                }
                case PgProtocol.READY_FOR_QUERY -> {
                    if (connectQuery != null && !connectQuerySent) {
                        connectQuerySent = true; // exec_on_connect: rows dropped, an error fails the login
                        ctx.writeAndFlush(FrontendMessages.query(ctx.alloc(), connectQuery));
                    } else {
                        server.loggedIn(Messages.readyForQueryStatus(frame));
                    }
                }
                default -> { } // NoticeResponse and friends during login carry nothing we need
            }
        } catch (ScramException | RuntimeException e) {
            server.loginFailed(PgProtocol.CONNECTION_FAILURE, "server login failed: " + e.getMessage());
        }
        return PgStreamHandler.DROP;
    }

    /** The connection closed: a key derivation still running for it is not wanted any more. */
    void cancel() {
        authenticator.cancel();
    }
}

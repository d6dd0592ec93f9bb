package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.KeyDerivation;
import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The pooler logging in to one server (PgBouncer's server-side login in client.c/scram.c): answers each
 * Authentication request with cleartext, md5 or SCRAM from the {@link ServerLogin}. The SCRAM key derivation runs
 * off the event loop, since the server picks the iteration count.
 */
final class ServerAuthenticator {
    private final ServerLogin login;
    /** Called on the loop when a derivation done off it fails: the login fails with this message. */
    private final Consumer<String> failed;
    private ScramClientExchange scram;
    /** The client-final-message being computed off the loop (the key derivation), cancelled if the server closes. */
    private Future<?> derivation;

    ServerAuthenticator(ServerLogin login, Consumer<String> failed) {
        this.login = login;
        this.failed = failed;
    }

    /** The connection closed: a derivation still running is of no use. */
    void cancel() {
        if (derivation != null) {
            derivation.cancel(true);
            derivation = null;
        }
    }

    /**
     * The server chose the salt and the iteration count, so the key derivation may take any time: it runs on a
     * worker and the answer is sent from this connection's loop, unless the login ended meanwhile.
     */
    private void deriveClientFinal(ChannelHandlerContext ctx, ScramClientExchange exchange, String serverFirst) {
        derivation = KeyDerivation.submit(() -> {
            String answer = null;
            String error = null;
            try {
                answer = exchange.clientFinal(serverFirst);
            } catch (ScramException | RuntimeException e) {
                error = e.getMessage();
            }
            String clientFinal = answer;
            String failure = error;
            ctx.executor().execute(() -> {
                derivation = null;
                if (scram != exchange || !ctx.channel().isActive()) {
                    return;
                }
                if (failure != null) {
                    failed.accept("server login failed: " + failure);
                } else {
                    ctx.writeAndFlush(FrontendMessages.saslResponse(ctx.alloc(), clientFinal));
                }
            });
        });
    }

    void authenticate(ChannelHandlerContext ctx, ByteBuf frame) throws ScramException {
        int code = Messages.authCode(frame);
        switch (code) {
            case PgProtocol.AUTH_OK -> scram = null;
            case PgProtocol.AUTH_CLEARTEXT -> {
                String password = login.plainPassword();
                if (password == null) {
                    throw new ScramException("wrong password type: cleartext login needs a plain password");
                }
                ctx.writeAndFlush(FrontendMessages.passwordMessage(ctx.alloc(), password));
            }
            case PgProtocol.AUTH_MD5 -> {
                byte[] salt = Messages.authData(frame);
                Secret secret = login.secret();
                String md5;
                if (secret instanceof Secret.Plain plain) {
                    md5 = Md5Password.encrypt(plain.password(), login.user());
                } else if (secret instanceof Secret.Md5 hash) {
                    md5 = hash.hash();
                } else {
                    throw new ScramException("wrong password type: cannot do md5 login with a SCRAM secret; store md5 or a plain"
                            + " password");
                }
                ctx.writeAndFlush(FrontendMessages.passwordMessage(ctx.alloc(), Md5Password.challengeResponse(md5, salt)));
            }
            case PgProtocol.AUTH_SASL -> {
                List<String> mechanisms = Messages.saslMechanisms(frame);
                if (!mechanisms.contains("SCRAM-SHA-256")) {
                    throw new ScramException("server offers no supported SASL mechanism: " + mechanisms);
                }
                scram = login.scramExchange();
                ctx.writeAndFlush(FrontendMessages.saslInitialResponse(ctx.alloc(), "SCRAM-SHA-256", scram.clientFirst()));
            }
            case PgProtocol.AUTH_SASL_CONTINUE -> {
                if (scram == null) {
                    throw new ScramException("unexpected SASL continue");
                }
                String serverFirst = new String(Messages.authData(frame), StandardCharsets.UTF_8);
                deriveClientFinal(ctx, scram, serverFirst);
            }
            case PgProtocol.AUTH_SASL_FINAL -> {
                if (scram == null) {
                    throw new ScramException("unexpected SASL final");
                }
                scram.verifyServerFinal(new String(Messages.authData(frame), StandardCharsets.UTF_8));
            }
            default -> throw new ScramException("unsupported server authentication method " + code);
        }
    }
}

package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.auth.ScramSecret;
import dev.poolctl.pooler.auth.ScramServerExchange;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;

/**
 * The pooler authenticating one client (PgBouncer's client.c login part): a step function that answers each
 * PasswordMessage with the next request, success or failure.
 */
final class ClientAuthenticator {
    /** Outcome of one step. */
    enum Step { CONTINUE, OK, FAILED }

    private static final SecureRandom RANDOM = dev.poolctl.pooler.auth.Randoms.secure();
    private static final int SCRAM_ITERATIONS = 4096;

    private enum Method { NONE, CLEARTEXT, MD5, SCRAM_FIRST, SCRAM_FINAL }

    private final String user;
    private final Secret secret;
    private Method method = Method.NONE;
    private byte[] md5Salt;
    private ScramServerExchange scram;
    private byte[] scramClientKey;
    private String failure;

    ClientAuthenticator(String user, Secret secret) {
        this.user = user;
        this.secret = secret;
    }

    String failure() {
        return failure;
    }

    /** ClientKey proven by a SCRAM login, for SCRAM pass-through to the server. */
    byte[] scramClientKey() {
        return scramClientKey;
    }

    /** The first request for this auth_type; null means the client is in without a password. */
    ByteBuf start(AuthType type, ByteBufAllocator alloc) {
        switch (type) {
            case TRUST:
            case ANY:
                return null;
            case PLAIN:
                method = Method.CLEARTEXT;
                return BackendMessages.authenticationCleartext(alloc);
            case SCRAM_SHA_256:
                return startScram(alloc);
            case MD5:
            default:
                if (secret instanceof Secret.Scram) {
                    // PgBouncer: md5 auto-upgrades to SCRAM when only a SCRAM secret is known.
                    return startScram(alloc);
                }
                method = Method.MD5;
                md5Salt = new byte[4];
                RANDOM.nextBytes(md5Salt);
                return BackendMessages.authenticationMd5(alloc, md5Salt);
        }
    }

    private ByteBuf startScram(ByteBufAllocator alloc) {
        method = Method.SCRAM_FIRST;
        return BackendMessages.authenticationSasl(alloc, "SCRAM-SHA-256");
    }

    /** One PasswordMessage-type frame; returns the step and writes any reply into {@code reply[0]}. */
    Step step(ByteBuf frame, ByteBufAllocator alloc, ByteBuf[] reply) throws PgProtocolException {
        switch (method) {
            case CLEARTEXT:
                return verdict(checkCleartext(Messages.passwordText(frame)));
            case MD5:
                return verdict(checkMd5(Messages.passwordText(frame)));
            case SCRAM_FIRST: {
                String[] initial = Messages.saslInitialResponse(frame);
                if (!"SCRAM-SHA-256".equals(initial[0]) || initial[1] == null) {
                    throw new PgProtocolException("unsupported SASL mechanism " + initial[0]);
                }
                ScramSecret scramSecret = scramSecret();
                if (scramSecret == null) {
                    return verdict(false);
                }
                scram = new ScramServerExchange(scramSecret);
                try {
                    String serverFirst = scram.serverFirst(initial[1]);
                    reply[0] = BackendMessages.authenticationSaslData(alloc, PgProtocol.AUTH_SASL_CONTINUE, serverFirst);
                    method = Method.SCRAM_FINAL;
                    return Step.CONTINUE;
                } catch (ScramException e) {
                    throw new PgProtocolException(e.getMessage());
                }
            }
            case SCRAM_FINAL: {
                try {
                    String serverFinal = scram.serverFinal(Messages.passwordText(frame));
                    scramClientKey = scram.clientKey();
                    reply[0] = BackendMessages.authenticationSaslData(alloc, PgProtocol.AUTH_SASL_FINAL, serverFinal);
                    return Step.OK;
                } catch (ScramException e) {
                    return verdict(false);
                }
            }
            default:
                throw new PgProtocolException("unexpected password packet");
        }
    }

    private Step verdict(boolean ok) {
        if (!ok) {
            failure = method == Method.SCRAM_FIRST || method == Method.SCRAM_FINAL
                    ? "SASL authentication failed" : "password authentication failed";
            return Step.FAILED;
        }
        return Step.OK;
    }

    private ScramSecret scramSecret() {
        if (secret instanceof Secret.Scram s) {
            return s.secret();
        }
        if (secret instanceof Secret.Plain p) {
            byte[] salt = new byte[16];
            RANDOM.nextBytes(salt);
            return ScramSecret.fromPassword(p.password(), salt, SCRAM_ITERATIONS);
        }
        return null; // an md5 hash cannot answer SCRAM
    }

    private boolean checkCleartext(String given) {
        if (secret instanceof Secret.Plain p) {
            return constantTimeEquals(p.password(), given);
        }
        if (secret instanceof Secret.Md5 m) {
            return constantTimeEquals(m.hash(), Md5Password.encrypt(given, user));
        }
        if (secret instanceof Secret.Scram s) {
            ScramSecret again = ScramSecret.fromPassword(given, s.secret().salt(), s.secret().iterations());
            return MessageDigest.isEqual(again.storedKey(), s.secret().storedKey());
        }
        return false;
    }

    private boolean checkMd5(String given) {
        String md5;
        if (secret instanceof Secret.Plain p) {
            md5 = Md5Password.encrypt(p.password(), user);
        } else if (secret instanceof Secret.Md5 m) {
            md5 = m.hash();
        } else {
            return false;
        }
        return constantTimeEquals(Md5Password.challengeResponse(md5, md5Salt), given);
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}

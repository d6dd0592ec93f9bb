package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.auth.LdapAuthentication;
import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.Randoms;
import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.auth.ScramKeyCache;
import dev.poolctl.pooler.auth.ScramSecret;
import dev.poolctl.pooler.auth.ScramServerExchange;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.LdapOptions;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The pooler authenticating one client (PgBouncer's client.c login part): a step function that answers each
 * PasswordMessage with the next request, success or failure.
 *
 * <p>Names are not probeable (PgBouncer's mock authentication): a user missing from auth_file, or listed with an
 * empty password, gets the same challenge as a real one (an md5 salt, or a SCRAM exchange with a salt that
 * depends only on the name) and the same error as a wrong password, after about the same work. An empty
 * password never authenticates (PgBouncer: "disallow empty passwords"), whichever side it comes from.
 */
final class ClientAuthenticator {
    /** Outcome of one step. */
    enum Step { CONTINUE, OK, FAILED }

    static final String PASSWORD_FAILED = "password authentication failed";
    static final String SASL_FAILED = "SASL authentication failed";
    static final String LDAP_FAILED = "LDAP authentication failed";

    private enum Method { NONE, CLEARTEXT, MD5, SCRAM_FIRST, SCRAM_FINAL, LDAP }

    private final String user;
    /** From auth_file or auth_query; null for an unknown user and for an empty password (mock authentication). */
    private final Secret secret;
    private final boolean unknownUser;
    private final int scramIterations;
    private Method method = Method.NONE;
    private byte[] md5Salt;
    private ScramServerExchange scram;
    private byte[] scramClientKey;
    private String failure;
    /** A derivation was already run off the event loop for this login: never a second one. */
    private boolean derived;
    /** The verdict of a cleartext password checked against a SCRAM secret off the event loop. */
    private volatile PreparedVerdict preparedCleartext;

    private record PreparedVerdict(String given, boolean ok) {}

    /** ldap's options, and the directory's verdict on a password, reached on an LDAP worker. */
    private LdapOptions ldap;
    private volatile LdapVerdict ldapVerdict;
    /** The password the directory accepted: the pooler logs in to PostgreSQL with it (PgBouncer's LDAP users). */
    private Secret.Plain directoryPassword;

    private record LdapVerdict(String given, LdapAuthentication.Result result) {}

    /**
     * {@code known}: auth_file lists the user or auth_query returned it; {@code secret} is then its password, or null
     * when it has none that can match: a NULL one (an expired role) or an empty one (refused, as by PgBouncer).
     * Trust and cert still let such a user in.
     */
    ClientAuthenticator(String user, Secret secret, boolean known) {
        this(user, secret, known, ScramSecret.DEFAULT_ITERATIONS);
    }

    /**
     * {@code scramIterations}: scram_iterations, for the SCRAM secrets the pooler makes itself (from a plain-text
     * auth_file password, and the mock exchange of an unknown user), as PgBouncer's scram.c.
     */
    ClientAuthenticator(String user, Secret secret, boolean known, int scramIterations) {
        this.user = user;
        this.unknownUser = !known;
        this.secret = secret;
        this.scramIterations = scramIterations;
    }

    /**
     * The error for a typed packet that has no place in {@code state}, or null when it may be read: in AUTH only
     * password packets, and nowhere a StartupMessage-like packet (type byte 0, PgBouncer's wording).
     */
    static String unexpectedPacket(ClientState state, byte type) {
        return switch (state) {
            case AUTH -> type == 0 ? "client re-sent startup pkt"
                    : type == PgProtocol.PASSWORD_MESSAGE ? null
                    : "expected a password packet, got '" + (char) type + "'";
            case IDLE, ACTIVE, ADMIN -> type == 0 ? "unknown pkt" : null;
            default -> null;
        };
    }

    /** Neither in auth_file nor found by auth_query: logged as "no such user" (the client cannot tell). */
    boolean isUnknownUser() {
        return unknownUser;
    }

    String failure() {
        return failure;
    }

    /** ClientKey proven by a SCRAM login, for SCRAM pass-through to the server. */
    byte[] scramClientKey() {
        return scramClientKey;
    }

    /**
     * The first request for this auth_type; null means the client is in without a password, unless
     * {@link #failure()} is set (trust for a user not in auth_file).
     */
    ByteBuf start(AuthType type, ByteBufAllocator alloc) {
        switch (type) {
            case ANY:
                return null;
            case TRUST:
                if (unknownUser) {
                    // PgBouncer: with trust the user must still be in auth_file.
                    failure = "\"trust\" authentication failed";
                }
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
                Randoms.nextBytes(md5Salt);
                return BackendMessages.authenticationMd5(alloc, md5Salt);
        }
    }

    /**
     * ldap (auth_type, or an hba rule): the client's password in clear text, checked by the directory off the event
     * loop ({@link #slowWork}); auth_file is not consulted, as in PgBouncer.
     */
    ByteBuf startLdap(LdapOptions options, ByteBufAllocator alloc) {
        ldap = options;
        method = Method.LDAP;
        return BackendMessages.authenticationCleartext(alloc);
    }

    /** Whether {@link #slowWork} waits for the network (an LDAP server) rather than computes. */
    boolean slowWorkIsNetwork() {
        return method == Method.LDAP;
    }

    /** Why the directory refused the last password (PgBouncer's warning lines), or an empty list. */
    List<String> ldapWarnings() {
        LdapVerdict v = ldapVerdict;
        return v == null ? List.of() : v.result().warnings();
    }

    /** The password an LDAP login proved, or null. */
    Secret.Plain directoryPassword() {
        return directoryPassword;
    }

    private ByteBuf startScram(ByteBufAllocator alloc) {
        method = Method.SCRAM_FIRST;
        return BackendMessages.authenticationSasl(alloc, "SCRAM-SHA-256");
    }

    /**
     * The key derivation (4096 HMAC rounds) that the next {@link #step} with {@code frame} needs, to run off the
     * event loop before that step; null when the step is cheap (keys cached, md5, a mock exchange). Running it
     * fills the cache or this login's verdict, so the step then finds the work done.
     */
    Runnable slowWork(ByteBuf frame) {
        if (derived) {
            return null;
        }
        if (method == Method.LDAP) {
            String given = Messages.passwordText(frame);
            if (given.isEmpty()) {
                return null; // refused by the step, as for any password method
            }
            derived = true;
            LdapOptions options = ldap;
            return () -> ldapVerdict = new LdapVerdict(given, LdapAuthentication.check(options, user, given));
        }
        if (method == Method.SCRAM_FIRST && secret instanceof Secret.Plain p
                && !ScramKeyCache.hasPlainPassword(user, p.password(), scramIterations)) {
            derived = true;
            return () -> ScramKeyCache.forPlainPassword(user, p.password(), scramIterations);
        }
        if (method == Method.CLEARTEXT && secret instanceof Secret.Scram s) {
            String given = Messages.passwordText(frame);
            if (!given.isEmpty() && !ScramKeyCache.isVerifiedPlain(s.secret(), given)) {
                derived = true;
                return () -> preparedCleartext = new PreparedVerdict(given, ScramKeyCache.verifyPlain(s.secret(), given));
            }
        }
        return null;
    }

    /** One PasswordMessage-type frame; returns the step and writes any reply into {@code reply[0]}. */
    Step step(ByteBuf frame, ByteBufAllocator alloc, ByteBuf[] reply) throws PgProtocolException {
        switch (method) {
            case CLEARTEXT:
            case MD5:
            case LDAP: {
                String given = Messages.passwordText(frame);
                if (given.isEmpty()) {
                    // PgBouncer (and PostgreSQL's recv_password_packet) refuse it before any check.
                    failure = "empty password returned by client";
                    return Step.FAILED;
                }
                return verdict(method == Method.LDAP ? checkLdap(given)
                        : method == Method.CLEARTEXT ? checkCleartext(given) : checkMd5(given));
            }
            case SCRAM_FIRST: {
                String[] initial = Messages.saslInitialResponse(frame);
                if (!"SCRAM-SHA-256".equals(initial[0]) || initial[1] == null) {
                    throw new PgProtocolException("client selected an invalid SASL authentication mechanism");
                }
                scram = new ScramServerExchange(scramSecret());
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
            failure = method == Method.SCRAM_FIRST || method == Method.SCRAM_FINAL ? SASL_FAILED
                    : method == Method.LDAP ? LDAP_FAILED : PASSWORD_FAILED;
            return Step.FAILED;
        }
        return Step.OK;
    }

    /**
     * The secret the exchange checks against: the stored one, one derived once per plain-text password, or a
     * mock no proof matches (unknown user, empty password, or an md5 hash, which cannot answer SCRAM).
     */
    private ScramSecret scramSecret() {
        if (secret instanceof Secret.Scram s) {
            return s.secret();
        }
        if (secret instanceof Secret.Plain p) {
            return ScramKeyCache.forPlainPassword(user, p.password(), scramIterations);
        }
        return ScramKeyCache.mockSecret(user, scramIterations);
    }

    /** The directory's verdict on this very password (reached in {@link #slowWork}); none is a refusal. */
    private boolean checkLdap(String given) {
        LdapVerdict v = ldapVerdict;
        if (v != null && v.given().equals(given) && v.result().ok()) {
            directoryPassword = new Secret.Plain(given);
            return true;
        }
        return false;
    }

    private boolean checkCleartext(String given) {
        if (secret instanceof Secret.Plain p) {
            return constantTimeEquals(p.password(), given);
        }
        if (secret instanceof Secret.Md5 m) {
            return constantTimeEquals(m.hash(), Md5Password.encrypt(given, user));
        }
        if (secret instanceof Secret.Scram s) {
            PreparedVerdict prepared = preparedCleartext;
            return prepared != null && prepared.given().equals(given) ? prepared.ok()
                    : ScramKeyCache.verifyPlain(s.secret(), given);
        }
        // Mock: the same md5 work as for a listed md5 user, then a failure.
        constantTimeEquals(Md5Password.encrypt(user, user), Md5Password.encrypt(given, user));
        return false;
    }

    private boolean checkMd5(String given) {
        String md5;
        if (secret instanceof Secret.Plain p) {
            md5 = Md5Password.encrypt(p.password(), user);
        } else if (secret instanceof Secret.Md5 m) {
            md5 = m.hash();
        } else {
            // Mock: compute a response as for a real user so the answer takes as long, and refuse it.
            Md5Password.challengeResponse(Md5Password.encrypt(user, user), md5Salt);
            return false;
        }
        return constantTimeEquals(Md5Password.challengeResponse(md5, md5Salt), given);
    }

    private static boolean constantTimeEquals(String a, String b) {
        return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }
}

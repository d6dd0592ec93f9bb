package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.CertificateNames;
import dev.poolctl.pooler.auth.HbaConfig;
import dev.poolctl.pooler.auth.HbaRules;
import dev.poolctl.pooler.auth.IdentMaps;
import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.LdapOptions;
import io.netty.channel.Channel;
import dev.poolctl.pooler.net.Transport;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * auth_type = hba at login (PgBouncer's set_pool): the first rule that matches the connection decides the method.
 * Password methods (and ldap, with the rule's options) then run as their auth_type would; trust, peer, reject and
 * cert are decided here, and auth_type = cert uses the same certificate check.
 */
final class HbaLogin {
    private HbaLogin() {}

    /**
     * Run {@code method} (ldap with {@code ldap}'s options); or refuse with {@code failure} (PgBouncer's wording),
     * logging {@code logLine} if set.
     */
    record Decision(AuthType method, LdapOptions ldap, String failure, String logLine) {
        static Decision run(AuthType method) {
            return new Decision(method, null, null, null);
        }

        static Decision refuse(String failure, String logLine) {
            return new Decision(null, null, failure, logLine);
        }
    }

    /**
     * auth_type = ldap, or auth_type = hba and the rule for this login is an ldap one (PgBouncer's
     * check_if_need_ldap_authentication): the directory, not auth_file or auth_query, knows the user.
     */
    static boolean usesLdap(AuthType type, HbaConfig hba, Channel channel, String database, String user,
                            boolean physicalReplication) {
        if (type != AuthType.HBA) {
            return type == AuthType.LDAP;
        }
        HbaRules.Rule rule = rule(hba, channel, database, user, physicalReplication);
        return rule != null && rule.method() == HbaRules.Method.LDAP;
    }

    private static HbaRules.Rule rule(HbaConfig hba, Channel channel, String database, String user,
                                      boolean physicalReplication) {
        InetAddress remote = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        boolean tls = channel.pipeline().get(SslHandler.class) != null;
        return hba.rules().match(remote, tls, physicalReplication, database, user);
    }

    static Decision decide(HbaConfig hba, Channel channel, String database, String user, boolean unknownUser,
                           boolean physicalReplication) {
        HbaRules.Rule rule = rule(hba, channel, database, user, physicalReplication);
        if (rule == null) {
            return Decision.refuse("no authentication method is found", null);
        }
        return switch (rule.method()) {
            case TRUST -> Decision.run(AuthType.TRUST);
            case MD5 -> Decision.run(AuthType.MD5);
            case PASSWORD -> Decision.run(AuthType.PLAIN);
            case SCRAM_SHA_256 -> Decision.run(AuthType.SCRAM_SHA_256);
            case REJECT -> Decision.refuse("login rejected", null);
            case LDAP -> rule.ldap() != null ? new Decision(AuthType.LDAP, rule.ldap(), null, null)
                    : Decision.refuse(ClientAuthenticator.LDAP_FAILED, "hba line " + rule.line()
                            + ": its LDAP options cannot be read (see the warning at load)");
            case CERT -> cert(channel, rule.identMap(), user, unknownUser);
            case PEER -> peer(hba, rule, channel, user, unknownUser);
        };
    }

    /**
     * auth_type = cert, or an hba cert rule (PgBouncer's login_via_cert): the client's TLS certificate must name
     * the user (subjectAltName or CN), or name a system user the rule's ident map lets log in as the user.
     */
    static Decision cert(Channel channel, IdentMaps.Map map, String user, boolean unknownUser) {
        String failed = "certificate authentication failed";
        SslHandler ssl = channel.pipeline().get(SslHandler.class);
        if (ssl == null) {
            return Decision.refuse(failed, "TLS connection required");
        }
        X509Certificate cert;
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate x509)) {
                return Decision.refuse(failed, "TLS client certificate required");
            }
            cert = x509;
        } catch (SSLPeerUnverifiedException e) {
            return Decision.refuse(failed, "TLS client certificate required");
        }
        if (unknownUser) {
            return Decision.refuse(failed, null); // not in auth_file: as a wrong certificate (no name probing)
        }
        if (map != null) {
            for (IdentMaps.Mapping m : map.mappings()) {
                if (CertificateNames.contains(cert, m.systemUser())
                        && (m.databaseUser() == null || m.databaseUser().equals(user))) {
                    return Decision.run(AuthType.TRUST);
                }
            }
            return Decision.refuse(failed, "ident map: " + map.name() + " does not have a match");
        }
        return CertificateNames.contains(cert, user) ? Decision.run(AuthType.TRUST)
                : Decision.refuse(failed, "TLS certificate name mismatch");
    }

    /** The peer process's OS user must be the database user, or be mapped to it by the rule's ident map. */
    private static Decision peer(HbaConfig hba, HbaRules.Rule rule, Channel channel, String user, boolean unknownUser) {
        String osUser = null;
        try {
            int uid = Transport.peerUid(channel);
            osUser = uid < 0 ? null : hba.osUsers().name(uid);
        } catch (IOException e) {
            osUser = null;
        }
        boolean ok = osUser != null && !unknownUser
                && (rule.identMap() != null ? rule.identMap().allows(osUser, user) : osUser.equals(user));
        if (ok) {
            return Decision.run(AuthType.TRUST);
        }
        String why = osUser == null ? null
                : rule.identMap() != null ? "ident map " + rule.identMap().name() + " cannot be matched" : null;
        return Decision.refuse("unix socket login rejected", why);
    }
}

package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.HbaConfig;
import dev.poolctl.pooler.auth.HbaRules;
import dev.poolctl.pooler.config.AuthType;
import io.netty.channel.Channel;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.handler.ssl.SslHandler;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * auth_type = hba at login (PgBouncer's set_pool): the first rule that matches the connection decides the method.
 * Password methods then run as their auth_type would; trust, peer, reject, cert and ldap are decided here.
 */
final class HbaLogin {
    private HbaLogin() {}

    /** Run {@code method}; or refuse with {@code failure} (PgBouncer's wording), logging {@code logLine} if set. */
    record Decision(AuthType method, String failure, String logLine) {
        static Decision run(AuthType method) {
            return new Decision(method, null, null);
        }

        static Decision refuse(String failure, String logLine) {
            return new Decision(null, failure, logLine);
        }
    }

    static Decision decide(HbaConfig hba, Channel channel, String database, String user, boolean unknownUser) {
        InetAddress remote = channel.remoteAddress() instanceof InetSocketAddress a ? a.getAddress() : null;
        boolean tls = channel.pipeline().get(SslHandler.class) != null;
        HbaRules.Rule rule = hba.rules().match(remote, tls, false, database, user);
        if (rule == null) {
            return Decision.refuse("no authentication method is found", null);
        }
        return switch (rule.method()) {
            case TRUST -> Decision.run(AuthType.TRUST);
            case MD5 -> Decision.run(AuthType.MD5);
            case PASSWORD -> Decision.run(AuthType.PLAIN);
            case SCRAM_SHA_256 -> Decision.run(AuthType.SCRAM_SHA_256);
            case REJECT -> Decision.refuse("login rejected", null);
            case LDAP -> Decision.refuse("ldap is not supported by this build", null);
            // A client certificate needs TLS to the client, which this version does not offer yet.
            case CERT -> Decision.refuse("certificate authentication failed", "TLS connection required");
            case PEER -> peer(hba, rule, channel, user, unknownUser);
        };
    }

    /** The peer process's OS user must be the database user, or be mapped to it by the rule's ident map. */
    private static Decision peer(HbaConfig hba, HbaRules.Rule rule, Channel channel, String user, boolean unknownUser) {
        String osUser = null;
        if (channel instanceof EpollDomainSocketChannel unix) {
            try {
                osUser = hba.osUsers().name(unix.peerCredentials().uid());
            } catch (IOException e) {
                osUser = null;
            }
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

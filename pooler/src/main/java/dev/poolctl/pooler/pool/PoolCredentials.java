package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Secret;
import java.util.Optional;

/**
 * What a pool's server logins use besides auth_file, learnt from the logins of the pool's clients: the secret
 * auth_query last returned for the pool's user (PgBouncer's dynamic credentials), the SCRAM ClientKey a client
 * last proved (SCRAM pass-through, for a SCRAM secret) and the password an LDAP server last accepted. Confined to
 * the pool's loop.
 */
public final class PoolCredentials {
    private Secret fetched;
    private byte[] scramClientKey;
    private Secret.Plain directoryPassword;

    /**
     * A client of the pool's user logged in: {@code fetched} from auth_query or null, its proved key or null, the
     * password an LDAP server accepted or null.
     */
    public void remember(Secret fetched, byte[] clientKey, Secret.Plain directoryPassword) {
        if (fetched != null) {
            this.fetched = fetched;
        }
        if (clientKey != null) {
            this.scramClientKey = clientKey;
        }
        if (directoryPassword != null) {
            this.directoryPassword = directoryPassword;
        }
    }

    /**
     * The password a server login of the pool's user uses, in PgBouncer's order: the database entry's
     * {@code password=}, else the one LDAP last accepted (PgBouncer stores it as the user's password), else auth_file's
     * ({@code listed}), else what auth_query last returned; null when none is known.
     */
    Secret forServerLogin(String databasePassword, Optional<Secret> listed) {
        if (databasePassword != null) {
            return Secret.of(databasePassword);
        }
        if (directoryPassword != null) {
            return directoryPassword;
        }
        return listed.orElse(fetched);
    }

    byte[] scramClientKey() {
        return scramClientKey;
    }
}

package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Secret;

/**
 * What a pool's server logins use besides auth_file, learnt from the logins of the pool's clients: the secret
 * auth_query last returned for the pool's user (PgBouncer's dynamic credentials) and the SCRAM ClientKey a client
 * last proved (SCRAM pass-through, for a SCRAM secret). Confined to the pool's loop.
 */
public final class PoolCredentials {
    private Secret fetched;
    private byte[] scramClientKey;

    /** A client of the pool's user logged in: {@code fetched} from auth_query or null, its proved key or null. */
    public void remember(Secret fetched, byte[] clientKey) {
        if (fetched != null) {
            this.fetched = fetched;
        }
        if (clientKey != null) {
            this.scramClientKey = clientKey;
        }
    }

    /** The secret auth_query returned at the last login, or null: used when auth_file does not list the user. */
    Secret fetched() {
        return fetched;
    }

    byte[] scramClientKey() {
        return scramClientKey;
    }
}

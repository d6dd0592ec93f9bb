package dev.poolctl.pooler.session;

import dev.poolctl.pooler.auth.ScramClientExchange;
import dev.poolctl.pooler.auth.ScramException;
import dev.poolctl.pooler.auth.Secret;
import java.util.Map;

/**
 * What the pooler needs to log in to one server: the startup parameters and a secret, in PgBouncer's order of
 * preference: the database's {@code password=}, else the auth_file entry; a SCRAM secret only works through
 * SCRAM pass-through with the keys a client proved.
 */
public record ServerLogin(
        String user,
        String address,
        Map<String, String> startupParameters,
        Secret secret,
        byte[] scramClientKey) {

    public String plainPassword() {
        return secret instanceof Secret.Plain plain ? plain.password() : null;
    }

    public ScramClientExchange scramExchange() throws ScramException {
        if (secret instanceof Secret.Plain plain) {
            return ScramClientExchange.forPassword(plain.password());
        }
        if (secret instanceof Secret.Scram scram) {
            if (scramClientKey == null) {
                throw new ScramException("wrong password type: no SCRAM keys for " + user
                        + " yet: a client must log in with SCRAM first");
            }
            return ScramClientExchange.forKeys(scramClientKey, scram.secret().serverKey());
        }
        throw new ScramException("wrong password type: no password for user " + user
                + " usable for SCRAM (need plain or SCRAM secret)");
    }
}

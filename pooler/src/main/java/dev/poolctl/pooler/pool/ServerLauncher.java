package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.auth.Secret;
import java.util.Map;

/** How pools open connections to PostgreSQL: the session's server connections, or fakes in unit tests. */
public interface ServerLauncher {
    /** What a new server connection logs in with. */
    record Login(long id, String user, String host, int port, Map<String, String> startupParameters, Secret secret,
                 byte[] scramClientKey) {}

    /**
     * Starts connecting; the server is in state LOGIN, and the pool hears back through serverLoggedIn,
     * serverLoginFailed or serverClosed.
     */
    PoolServer launch(Pool pool, Login login);

    /** Sends a CancelRequest for {@code target}'s query on a new connection; {@code callback} reports its course. */
    void cancel(PoolServer target, CancelCallback callback);

    /**
     * Forwards a CancelRequest to another pooler ({@code [peers]}) at {@code address} (as the server connector
     * writes addresses); {@code done} runs once that connection is closed or failed.
     */
    void forwardCancel(String address, int pid, int secret, Runnable done);
}

package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.protocol.ParameterStatusSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * What a pool learns from its server logins: the ParameterStatus set of the first one (every client's welcome,
 * and the varcache defaults), and the last login error (server_login_retry).
 */
public final class ServerWelcome {
    private Map<String, String> parameters;
    /** {@link #parameters} as the messages every client's welcome starts from. */
    private ParameterStatusSet statusSet;
    /** {@link #parameters} by lower-case name, for the varcache comparison on every link. */
    private Map<String, String> defaults = Map.of();
    private String loginError;
    private long loginErrorNanos;
    /**
     * The last login's error while no login has succeeded since; unlike {@link #loginError} it is not forgotten
     * when new TLS settings allow an early retry: /readyz asks whether a login has worked since, not when to retry.
     */
    private String failedSinceLogin;
    /** The wait after a login that found PostgreSQL not accepting; 0 after any other error (server_login_retry). */
    private long backoffNanos;
    private static final long FIRST_BACKOFF = 100_000_000L;
    private static final long MAX_BACKOFF = 500_000_000L;
    private long logins;
    private long loginFailures;

    boolean isKnown() {
        return parameters != null;
    }

    ParameterStatusSet statusSet() {
        return statusSet;
    }

    void loggedIn(Map<String, String> serverParameters) {
        logins++;
        loginError = null;
        failedSinceLogin = null;
        backoffNanos = 0;
        if (parameters == null) {
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(serverParameters));
            statusSet = new ParameterStatusSet(parameters);
            Map<String, String> lower = new HashMap<>();
            parameters.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
            defaults = lower;
        }
    }

    /**
     * {@code notAccepting}: PostgreSQL refused or did not answer, or is starting or shutting down (a restart, a
     * failover): the next attempt comes after a backoff from 100 ms doubling up to 500 ms (at most
     * server_login_retry), so that the pool serves again within about half a second of PostgreSQL accepting. Any
     * other error (a password, a missing database) waits server_login_retry, as in PgBouncer.
     */
    void loginFailed(String message, long now, boolean notAccepting) {
        loginError = message;
        failedSinceLogin = message;
        loginErrorNanos = now;
        backoffNanos = notAccepting ? Math.min(backoffNanos == 0 ? FIRST_BACKOFF : backoffNanos * 2, MAX_BACKOFF) : 0;
    }

    /** A login failed, also one whose host list goes on to the next host (which does not cache its error). */
    void countFailure() {
        loginFailures++;
    }

    /** Server logins of this pool that succeeded. */
    public long logins() {
        return logins;
    }

    /** Server logins of this pool that failed: an error from PostgreSQL, a connect or TLS failure, a close. */
    public long loginFailures() {
        return loginFailures;
    }

    void forgetLoginError() {
        loginError = null;
    }

    boolean loginFailingRecently(long now, long retryNanos) {
        long wait = backoffNanos == 0 ? retryNanos : Math.min(backoffNanos, retryNanos);
        return loginError != null && now - loginErrorNanos < wait;
    }

    String loginError() {
        return loginError;
    }

    /** Whether a server login of this pool has ever succeeded. */
    public boolean everLoggedIn() {
        return parameters != null;
    }

    /** The error of the pool's last login when no login has succeeded since it; null otherwise. */
    public String failedSinceLogin() {
        return failedSinceLogin;
    }

    /** When that login failed ({@link Clock#nanoTime}); meaningful only while {@link #failedSinceLogin} is set. */
    public long failedAtNanos() {
        return loginErrorNanos;
    }

    /** The server's original value of a tracked parameter: what a client that never set it gets. */
    public String defaultParameter(String lowerName) {
        return defaults.get(lowerName);
    }

    /** Whether the servers report this parameter with ParameterStatus (it was in the first login's welcome). */
    public boolean isReported(String lowerName) {
        return defaults.containsKey(lowerName);
    }

    /** Every parameter the servers report, by lower-case name. */
    public Set<String> reportedParameters() {
        return defaults.keySet();
    }
}

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

    boolean isKnown() {
        return parameters != null;
    }

    ParameterStatusSet statusSet() {
        return statusSet;
    }

    void loggedIn(Map<String, String> serverParameters) {
        loginError = null;
        if (parameters == null) {
            parameters = Collections.unmodifiableMap(new LinkedHashMap<>(serverParameters));
            statusSet = new ParameterStatusSet(parameters);
            Map<String, String> lower = new HashMap<>();
            parameters.forEach((k, v) -> lower.put(k.toLowerCase(Locale.ROOT), v));
            defaults = lower;
        }
    }

    void loginFailed(String message, long now) {
        loginError = message;
        loginErrorNanos = now;
    }

    void forgetLoginError() {
        loginError = null;
    }

    boolean loginFailingRecently(long now, long retryNanos) {
        return loginError != null && now - loginErrorNanos < retryNanos;
    }

    String loginError() {
        return loginError;
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

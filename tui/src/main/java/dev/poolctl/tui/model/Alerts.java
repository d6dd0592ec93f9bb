package dev.poolctl.tui.model;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Raises and ends alerts from successive pool rows. A condition is pending from the first sample it holds in and is
 * raised once it has held for {@link AlertRules#after()}; it ends at the first sample it no longer holds in, and
 * stays in the recent list so an operator who looks away still sees it happened.
 */
public final class Alerts {
    static final int RECENT = 20;

    private final AlertRules rules;
    private final Map<String, Instant> pendingSince = new LinkedHashMap<>();
    private final Map<String, Alert> raised = new LinkedHashMap<>();
    private final Deque<Alert> ended = new ArrayDeque<>();

    public Alerts(AlertRules rules) {
        this.rules = rules;
    }

    public AlertRules rules() {
        return rules;
    }

    /** Re-evaluates every pool condition at {@code now}; a reachable console also ends UNREACHABLE. */
    public void evaluate(Instant now, List<PoolRow> pools) {
        evaluate(now, pools, Map.of());
    }

    /** The same, with the pools whose hazard counters rose lately and what rose ({@link HazardWatch}). */
    public void evaluate(Instant now, List<PoolRow> pools, Map<String, String> hazards) {
        Map<String, String> holding = new LinkedHashMap<>();
        hazards.forEach((pool, detail) -> holding.put(key(AlertKind.HAZARD, pool), detail));
        for (PoolRow p : pools) {
            if (p.isAdmin()) {
                continue;
            }
            if (p.clWaiting() > 0) {
                holding.put(key(AlertKind.CLIENTS_WAITING, p.key()),
                        "cl_waiting " + p.clWaiting() + ", maxwait " + seconds(p.maxwaitSeconds()));
            }
            if (p.poolSize() > 0 && p.saturation() >= rules.saturation()) {
                holding.put(key(AlertKind.POOL_SATURATED, p.key()),
                        "sv_active " + p.svActive() + " of pool_size " + p.poolSize());
            }
            if (p.clWaiting() > 0 && !p.paused() && p.svActive() + p.svIdle() + p.svUsed() + p.svTested() == 0) {
                holding.put(key(AlertKind.SERVER_LOGIN_FAILING, p.key()),
                        "no server connected, sv_login " + p.svLogin());
            }
        }
        // Every kind is re-evaluated: an answer from the console also ends UNREACHABLE.
        update(now, holding, List.of(AlertKind.values()));
    }

    /**
     * The console did not answer: raises UNREACHABLE (after the delay). Pool conditions are left as they were, since
     * nothing is known about them until the console answers again.
     */
    public void unreachable(Instant now, String error) {
        raise(now, Map.of(key(AlertKind.UNREACHABLE, ""), error));
    }

    /** Ends the pending and raised conditions of {@code kinds} that are not in {@code holding}, then raises these. */
    private void update(Instant now, Map<String, String> holding, List<AlertKind> kinds) {
        for (String k : new ArrayList<>(pendingSince.keySet())) {
            if (kinds.contains(kindOf(k)) && !holding.containsKey(k)) {
                pendingSince.remove(k);
                Alert a = raised.remove(k);
                if (a != null) {
                    ended.addFirst(a.end(now));
                    while (ended.size() > RECENT) {
                        ended.removeLast();
                    }
                }
            }
        }
        raise(now, holding);
    }

    private void raise(Instant now, Map<String, String> holding) {
        for (Map.Entry<String, String> e : holding.entrySet()) {
            Instant since = pendingSince.computeIfAbsent(e.getKey(), k -> now);
            Alert current = raised.get(e.getKey());
            if (current != null) {
                raised.put(e.getKey(), current.withDetail(e.getValue()));
            } else if (!Duration.between(since, now).minus(rules.after()).isNegative()) {
                raised.put(e.getKey(), new Alert(kindOf(e.getKey()), e.getKey().split(" ", 2)[1], since, null,
                        e.getValue()));
            }
        }
    }

    private static AlertKind kindOf(String key) {
        return AlertKind.valueOf(key.substring(0, key.indexOf(' ')));
    }

    private static String key(AlertKind kind, String subject) {
        return kind.name() + " " + subject;
    }

    private static String seconds(double s) {
        return String.format(java.util.Locale.ROOT, "%.1fs", s);
    }

    /** Alerts that hold now, oldest first. */
    public List<Alert> active() {
        return List.copyOf(raised.values());
    }

    /** Alerts that ended, newest first. */
    public List<Alert> recent() {
        return List.copyOf(ended);
    }
}

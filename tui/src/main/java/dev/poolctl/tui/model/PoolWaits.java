package dev.poolctl.tui.model;

import dev.poolctl.client.AdminClient;
import dev.poolctl.client.WhyWaiting;
import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.Table;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Why each pool's clients wait, by {@code database/user}: a poolctl's SHOW WAITS, or for a PgBouncer the causes
 * {@link WhyWaiting} infers from the snapshot's POOLS, DATABASES, USERS and CONFIG (no STATE: 1.18 has none, and a
 * list the target refuses would log an error there every poll).
 */
final class PoolWaits {
    private PoolWaits() {}

    /** Whether the causes are inferred (the target, or an instance of the fleet, has no SHOW WAITS). */
    static boolean inferred(Snapshot s) {
        if (s.isFleet()) {
            return s.fleet().stream().anyMatch(i -> i.up() && inferred(i.snapshot()));
        }
        return !s.tables().containsKey(Show.WAITS);
    }

    static Map<String, WhyWaiting.Row> of(Snapshot s) {
        Map<String, WhyWaiting.Row> out = new HashMap<>();
        if (s.isFleet()) {
            // Each instance's own cause; the pool shows the one of the instance where most clients wait.
            for (Snapshot.Instance i : s.fleet()) {
                if (!i.up()) {
                    continue;
                }
                for (Map.Entry<String, WhyWaiting.Row> e : of(i.snapshot()).entrySet()) {
                    WhyWaiting.Row w = e.getValue();
                    WhyWaiting.Row named = new WhyWaiting.Row(w.database(), w.user(), w.clWaiting(), w.maxwaitUs(),
                            w.cause(), i.name() + ": " + w.detail());
                    out.merge(e.getKey(), named, (a, b) -> b.clWaiting() > a.clWaiting() ? b : a);
                }
            }
            return out;
        }
        if (!inferred(s)) {
            for (Row r : s.table(Show.WAITS).rowList()) {
                WhyWaiting.Row w = new WhyWaiting.Row(r.text("database", ""), r.text("user", ""),
                        r.number("cl_waiting"), r.number("maxwait_us"), r.text("cause", ""), r.text("detail", ""));
                out.put(w.database() + "/" + w.user(), w);
            }
            return out;
        }
        for (WhyWaiting.Row w : WhyWaiting.infer(result(s, Show.POOLS), result(s, Show.DATABASES),
                result(s, Show.USERS), result(s, Show.CONFIG), null)) {
            out.put(w.database() + "/" + w.user(), w);
        }
        return out;
    }

    private static AdminClient.Result result(Snapshot s, Show show) {
        Table t = s.table(show);
        return new AdminClient.Result(t.columns(), List.of(), t.rows(), "SHOW", List.of());
    }
}

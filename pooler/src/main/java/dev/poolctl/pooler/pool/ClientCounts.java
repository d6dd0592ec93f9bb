package dev.poolctl.pooler.pool;

import java.util.concurrent.ConcurrentHashMap;

/**
 * Clients counted per name over every loop: per database for max_db_client_connections, per user for
 * max_user_client_connections (PgBouncer's {@code client_connection_count} of PgDatabase and PgGlobalUser). A
 * client logs in on any loop and may move to its database's loop, so the counts are shared. A name's entry goes
 * when its count returns to 0: names come from clients, and must not pile up.
 */
public final class ClientCounts {
    private final ConcurrentHashMap<String, Integer> counts = new ConcurrentHashMap<>();

    /**
     * Counts one more client of {@code name} unless that makes more than {@code max} ({@code max} 0 or less: no
     * limit; {@code exempt}: counted whatever the count, as PgBouncer's admin_users on the console). The check and
     * the count are one step, so two loops cannot both take the last place.
     *
     * @return the count with this client, or -1 when refused (and not counted)
     */
    public int take(String name, int max, boolean exempt) {
        int[] result = {-1};
        counts.compute(name, (k, n) -> {
            int now = n == null ? 0 : n;
            if (exempt || max <= 0 || now < max) {
                result[0] = now + 1;
                return now + 1;
            }
            return n;
        });
        return result[0];
    }

    /** One client of {@code name} that {@link #take} counted is gone. */
    public void gone(String name) {
        counts.computeIfPresent(name, (k, n) -> n <= 1 ? null : n - 1);
    }

    /** Clients of {@code name} counted now. */
    public int count(String name) {
        return counts.getOrDefault(name, 0);
    }
}

package dev.poolctl.pooler.stats;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Client logins that ended in an ErrorResponse (a wrong password, an unknown database, max_client_conn, a pooler
 * shutting down, ...), by SQLSTATE, over every loop. Failed logins are not the hot path, and many happen before a
 * client has a pool or a loop of its database, so the count is shared. The keys are the pooler's own SQLSTATEs
 * and those PostgreSQL sends back during a server login: a bounded set, never text from a client.
 */
public final class LoginFailures {
    private final ConcurrentHashMap<String, LongAdder> bySqlState = new ConcurrentHashMap<>();

    public void count(String sqlState) {
        bySqlState.computeIfAbsent(sqlState, s -> new LongAdder()).increment();
    }

    /** The counts so far by SQLSTATE, in SQLSTATE order. */
    public Map<String, Long> counts() {
        Map<String, Long> counts = new TreeMap<>();
        bySqlState.forEach((state, n) -> counts.put(state, n.sum()));
        return counts;
    }
}

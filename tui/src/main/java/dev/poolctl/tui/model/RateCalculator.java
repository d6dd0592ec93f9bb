package dev.poolctl.tui.model;

import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Table;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns two SHOW STATS answers into per-database {@link DatabaseRates} and their sum over all databases. */
public final class RateCalculator {
    /** The cumulative counters; any of them going down means the numbers started again. */
    static final List<String> COUNTERS = List.of("total_xact_count", "total_query_count", "total_received",
            "total_sent", "total_xact_time", "total_query_time", "total_wait_time");

    private RateCalculator() {}

    /** Rates for every database in {@code current}; databases absent from {@code previous} get unknown rates. */
    public static Map<String, DatabaseRates> between(Table previous, Table current, double seconds) {
        Map<String, Row> before = new HashMap<>();
        if (previous != null) {
            for (Row r : previous.rowList()) {
                before.put(r.text("database", ""), r);
            }
        }
        Map<String, DatabaseRates> out = new LinkedHashMap<>();
        for (Row now : current.rowList()) {
            String db = now.text("database", "");
            out.put(db, rates(db, before.get(db), now, seconds));
        }
        return out;
    }

    static DatabaseRates rates(String db, Row before, Row now, double seconds) {
        long xacts = now.number("total_xact_count");
        long queries = now.number("total_query_count");
        if (before == null || seconds <= 0) {
            return DatabaseRates.unknown(db, false, xacts, queries);
        }
        for (String c : COUNTERS) {
            if (now.number(c) < before.number(c)) {
                return DatabaseRates.unknown(db, true, xacts, queries);
            }
        }
        long dXact = xacts - before.number("total_xact_count");
        long dQuery = queries - before.number("total_query_count");
        // Newer PgBouncers count waits per server assignment; 1.18 has no such column and averages per transaction.
        long dWaits = now.has("total_server_assignment_count")
                ? now.number("total_server_assignment_count") - before.number("total_server_assignment_count")
                : dXact;
        return new DatabaseRates(db,
                dXact / seconds,
                dQuery / seconds,
                (now.number("total_received") - before.number("total_received")) / seconds,
                (now.number("total_sent") - before.number("total_sent")) / seconds,
                average(now.number("total_xact_time") - before.number("total_xact_time"), dXact),
                average(now.number("total_query_time") - before.number("total_query_time"), dQuery),
                average(now.number("total_wait_time") - before.number("total_wait_time"), dWaits),
                false, xacts, queries);
    }

    /** Zero events means zero time spent per event for display, not a division by zero. */
    private static double average(long total, long count) {
        return count <= 0 ? 0 : (double) total / count;
    }

    /** The sum over databases with known rates; averages are weighted by each database's rate (waits by its tps). */
    public static DatabaseRates total(Map<String, DatabaseRates> rates) {
        double tps = 0, qps = 0, in = 0, out = 0, xactTime = 0, queryTime = 0, waitTime = 0;
        long xacts = 0, queries = 0;
        boolean any = false;
        for (DatabaseRates r : rates.values()) {
            xacts += r.totalXacts();
            queries += r.totalQueries();
            if (!r.known()) {
                continue;
            }
            any = true;
            tps += r.tps();
            qps += r.qps();
            in += r.receivedPerSecond();
            out += r.sentPerSecond();
            xactTime += r.avgXactMicros() * r.tps();
            queryTime += r.avgQueryMicros() * r.qps();
            waitTime += r.avgWaitMicros() * r.tps();
        }
        if (!any) {
            return DatabaseRates.unknown("", false, xacts, queries);
        }
        return new DatabaseRates("", tps, qps, in, out, tps == 0 ? 0 : xactTime / tps, qps == 0 ? 0 : queryTime / qps,
                tps == 0 ? 0 : waitTime / tps, false, xacts, queries);
    }
}

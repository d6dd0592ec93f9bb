package dev.poolctl.tui.model;

import static dev.poolctl.tui.support.Recorded.snapshot;
import static dev.poolctl.tui.support.Recorded.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Table;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RateCalculatorTest {
    private static Table stats(String sample) {
        return snapshot(sample, 0).table(Show.STATS);
    }

    @Test
    void ratesFromTwoPgBouncer118Samples() {
        Map<String, DatabaseRates> r = RateCalculator.between(stats("pgbouncer-1.18-a"), stats("pgbouncer-1.18-b"), 2);
        DatabaseRates db = r.get("postgres");
        assertEquals((7214 - 6369) / 2.0, db.tps(), 1e-9);
        assertEquals((50486 - 44537) / 2.0, db.qps(), 1e-9);
        assertEquals((3050970 - 2691246) / 2.0, db.receivedPerSecond(), 1e-9);
        assertEquals((1343733 - 1185254) / 2.0, db.sentPerSecond(), 1e-9);
        assertEquals((30930362 - 27889277) / (double) (7214 - 6369), db.avgXactMicros(), 1e-9);
        assertEquals((26449776 - 23873730) / (double) (50486 - 44537), db.avgQueryMicros(), 1e-9);
        // 1.18 has no total_server_assignment_count: waits are averaged per transaction, as 1.18 itself does.
        assertEquals((18939089 - 17084361) / (double) (7214 - 6369), db.avgWaitMicros(), 1e-9);
        assertFalse(db.reset());
    }

    @Test
    void newerStatsAverageWaitsPerServerAssignment() {
        DatabaseRates db = RateCalculator.between(stats("poolctl-0.1-a"), stats("poolctl-0.1-b"), 2).get("postgres");
        assertEquals((18713528 - 14183694) / (double) (8671 - 6866), db.avgWaitMicros(), 1e-9);
        assertEquals((8671 - 6863) / 2.0, db.tps(), 1e-9);
    }

    @Test
    void countersGoingBackwardsAreAResetNotANegativeRate() {
        DatabaseRates db = RateCalculator.between(stats("pgbouncer-1.18-b"), stats("pgbouncer-1.18-a"), 2)
                .get("postgres");
        assertTrue(db.reset());
        assertFalse(db.known());
        assertTrue(Double.isNaN(db.tps()));
        assertEquals(6369, db.totalXacts());
    }

    @Test
    void aDatabaseNewInThisSampleHasNoRateYet() {
        Table before = table("database,total_xact_count,total_query_count", "a,10,10");
        Table after = table("database,total_xact_count,total_query_count", "a,20,30", "b,5,5");
        Map<String, DatabaseRates> r = RateCalculator.between(before, after, 1);
        assertEquals(10, r.get("a").tps(), 1e-9);
        assertEquals(20, r.get("a").qps(), 1e-9);
        assertFalse(r.get("b").known());
        assertFalse(r.get("b").reset());
    }

    @Test
    void missingColumnsCountAsZeroInsteadOfFailing() {
        Table before = table("database,total_xact_count", "a,10");
        Table after = table("database,total_xact_count", "a,40");
        DatabaseRates a = RateCalculator.between(before, after, 3).get("a");
        assertEquals(10, a.tps(), 1e-9);
        assertEquals(0, a.qps(), 1e-9);
        assertEquals(0, a.avgWaitMicros(), 1e-9);
    }

    @Test
    void totalSumsKnownDatabasesAndWeighsAverages() {
        Table before = table("database,total_xact_count,total_query_count,total_xact_time",
                "a,0,0,0", "b,0,0,0", "gone,100,100,0");
        Table after = table("database,total_xact_count,total_query_count,total_xact_time",
                "a,10,10,1000", "b,30,30,9000", "c,1,1,1");
        DatabaseRates t = RateCalculator.total(RateCalculator.between(before, after, 1));
        assertEquals(40, t.tps(), 1e-9);
        // (10 xacts at 100us + 30 at 300us) / 40
        assertEquals(250, t.avgXactMicros(), 1e-9);
        assertEquals(41, t.totalXacts());
    }
}

package dev.poolctl.tui.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class AlertsTest {
    static final Instant T = Instant.parse("2026-11-26T12:00:00Z");
    final Alerts alerts = new Alerts(new AlertRules(Duration.ofSeconds(5), 0.8, Duration.ofSeconds(1)));

    static PoolRow pool(String db, long clWaiting, long svActive, long svIdle, int poolSize, boolean paused) {
        return new PoolRow(db, "app", "transaction", 1, clWaiting, svActive, svIdle, 0, 0, 0, 0.5, poolSize,
                paused, 10, Double.NaN, Double.NaN, null);
    }

    static Instant at(int seconds) {
        return T.plusSeconds(seconds);
    }

    @Test
    void waitingClientsAreRaisedOnlyAfterTheDelayWithTheTimeTheyStarted() {
        alerts.evaluate(at(0), List.of(pool("db", 0, 1, 1, 10, false)));
        alerts.evaluate(at(1), List.of(pool("db", 3, 1, 0, 10, false)));
        alerts.evaluate(at(5), List.of(pool("db", 3, 1, 0, 10, false)));
        assertTrue(alerts.active().isEmpty(), "4 s of waiting is under the 5 s delay");
        alerts.evaluate(at(6), List.of(pool("db", 4, 1, 0, 10, false)));
        assertEquals(1, alerts.active().size());
        Alert a = alerts.active().get(0);
        assertEquals(AlertKind.CLIENTS_WAITING, a.kind());
        assertEquals("db/app", a.subject());
        assertEquals(at(1), a.since());
        assertTrue(a.detail().contains("cl_waiting 4"), a.detail());
    }

    @Test
    void aConditionThatStopsEndsAndMovesToRecent() {
        for (int s = 0; s <= 6; s++) {
            alerts.evaluate(at(s), List.of(pool("db", 2, 1, 0, 10, false)));
        }
        alerts.evaluate(at(7), List.of(pool("db", 0, 1, 0, 10, false)));
        assertTrue(alerts.active().isEmpty());
        Alert ended = alerts.recent().get(0);
        assertEquals(at(0), ended.since());
        assertEquals(at(7), ended.ended());
    }

    @Test
    void aBriefBlipNeverRaises() {
        alerts.evaluate(at(0), List.of(pool("db", 2, 1, 0, 10, false)));
        alerts.evaluate(at(1), List.of(pool("db", 0, 1, 0, 10, false)));
        alerts.evaluate(at(7), List.of(pool("db", 2, 1, 0, 10, false)));
        assertTrue(alerts.active().isEmpty(), "the delay restarts after the condition stopped");
        assertTrue(alerts.recent().isEmpty());
    }

    @Test
    void saturationAtEightyPercentOfPoolSize() {
        alerts.evaluate(at(0), List.of(pool("hot", 0, 8, 2, 10, false), pool("cool", 0, 7, 3, 10, false)));
        alerts.evaluate(at(5), List.of(pool("hot", 0, 8, 2, 10, false), pool("cool", 0, 7, 3, 10, false)));
        assertEquals(List.of("hot/app"), alerts.active().stream().map(Alert::subject).toList());
        assertEquals(AlertKind.POOL_SATURATED, alerts.active().get(0).kind());
    }

    @Test
    void loginFailureNeedsWaitingClientsNoServersAndNoPause() {
        List<PoolRow> pools = List.of(pool("down", 3, 0, 0, 10, false), pool("paused", 3, 0, 0, 10, true));
        alerts.evaluate(at(0), pools);
        alerts.evaluate(at(5), pools);
        List<String> raised = alerts.active().stream().map(a -> a.kind() + " " + a.subject()).toList();
        assertTrue(raised.contains("SERVER_LOGIN_FAILING down/app"), raised.toString());
        assertTrue(raised.stream().noneMatch(r -> r.equals("SERVER_LOGIN_FAILING paused/app")), raised.toString());
    }

    @Test
    void theAdminConsolePoolIsNotWatched() {
        PoolRow admin = new PoolRow(PoolRow.ADMIN_DATABASE, "pgbouncer", "statement", 1, 1, 2, 0, 0, 0, 0, 9, 2,
                false, 0, Double.NaN, Double.NaN, null);
        alerts.evaluate(at(0), List.of(admin));
        alerts.evaluate(at(9), List.of(admin));
        assertTrue(alerts.active().isEmpty());
    }

    @Test
    void unreachableIsRaisedAfterTheDelayAndEndsWithTheNextAnswer() {
        alerts.unreachable(at(0), "connection refused");
        alerts.unreachable(at(5), "connection refused");
        assertEquals(AlertKind.UNREACHABLE, alerts.active().get(0).kind());
        alerts.evaluate(at(6), List.of());
        assertTrue(alerts.active().isEmpty());
        assertEquals(AlertKind.UNREACHABLE, alerts.recent().get(0).kind());
    }

    @Test
    void poolAlertsStayWhileTheConsoleIsUnreachable() {
        for (int s = 0; s <= 5; s++) {
            alerts.evaluate(at(s), List.of(pool("db", 2, 1, 0, 10, false)));
        }
        alerts.unreachable(at(6), "timeout");
        assertEquals(AlertKind.CLIENTS_WAITING, alerts.active().get(0).kind(), "nothing is known that ends it");
    }

    /** poolctl's SHOW HAZARDS: a rise is an alert with what rose, held a minute after the last rise. */
    @Test
    void aHazardRiseIsAnAlertForAMinute() {
        DashboardModel m = new DashboardModel("t", java.time.Duration.ofSeconds(1),
                new AlertRules(java.time.Duration.ZERO, 0.8, java.time.Duration.ofSeconds(1)), at(0));
        String header = "database,user,prepare,session_set,listen,advisory_lock,temp_table,with_hold";
        m.apply(dev.poolctl.tui.support.Recorded.snapshot(0, java.util.Map.of(dev.poolctl.tui.source.Show.HAZARDS,
                dev.poolctl.tui.support.Recorded.table(header, "app,alice,0,2,0,0,0,0"))), at(0));
        assertTrue(m.alerts().active().isEmpty(), "the first counts are no rise");
        m.apply(dev.poolctl.tui.support.Recorded.snapshot(1, java.util.Map.of(dev.poolctl.tui.source.Show.HAZARDS,
                dev.poolctl.tui.support.Recorded.table(header, "app,alice,0,5,1,0,0,0"))), at(1));
        Alert a = m.alerts().active().get(0);
        assertEquals(AlertKind.HAZARD, a.kind());
        assertEquals("app/alice", a.subject());
        assertEquals("session_set +3, listen +1", a.detail());
        m.apply(dev.poolctl.tui.support.Recorded.snapshot(50, java.util.Map.of(dev.poolctl.tui.source.Show.HAZARDS,
                dev.poolctl.tui.support.Recorded.table(header, "app,alice,0,5,1,0,0,0"))), at(50));
        assertEquals(1, m.alerts().active().size(), "still within the minute");
        m.apply(dev.poolctl.tui.support.Recorded.snapshot(62, java.util.Map.of(dev.poolctl.tui.source.Show.HAZARDS,
                dev.poolctl.tui.support.Recorded.table(header, "app,alice,0,5,1,0,0,0"))), at(62));
        assertTrue(m.alerts().active().isEmpty(), "a minute after the last rise it ends");
    }
}

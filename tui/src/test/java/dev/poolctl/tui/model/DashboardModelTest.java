package dev.poolctl.tui.model;

import static dev.poolctl.tui.support.Recorded.T0;
import static dev.poolctl.tui.support.Recorded.snapshot;
import static dev.poolctl.tui.support.Recorded.table;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.support.Recorded;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DashboardModelTest {
    final DashboardModel model = new DashboardModel("127.0.0.1:6432", Duration.ofSeconds(1), AlertRules.DEFAULT, T0);

    void apply(Snapshot s) {
        model.apply(s, s.takenAt());
    }

    PoolRow pool(String db) {
        return model.pools().stream().filter(p -> p.database().equals(db)).findFirst().orElseThrow();
    }

    @Test
    void poolRowsJoinShowPoolsWithPoolSizeAndRates() {
        apply(snapshot("pgbouncer-1.18-a", 0));
        PoolRow p = pool("postgres");
        assertEquals(3, p.clActive());
        assertEquals(5, p.clWaiting());
        assertEquals(3, p.svActive());
        assertEquals(3, p.poolSize(), "pool_size of SHOW DATABASES");
        assertEquals(1.0, p.saturation(), 1e-9);
        assertEquals(0.001095, p.maxwaitSeconds(), 1e-9, "maxwait + maxwait_us");
        assertTrue(Double.isNaN(p.tps()), "one sample has no rate");
        assertEquals("PgBouncer 1.18.0", model.version());

        apply(snapshot("pgbouncer-1.18-b", 2));
        assertEquals((7214 - 6369) / 2.0, pool("postgres").tps(), 1e-9);
        assertEquals((7214 - 6369) / 2.0 + (9 - 2) / 2.0, model.totals().tps(), 1e-9);
        assertEquals(2, model.history().tps("postgres/postgres", 10).length);
    }

    @Test
    void sortCyclesThroughColumnsAndBackToConsoleOrder() {
        apply(snapshot("pgbouncer-1.18-a", 0));
        assertEquals(List.of("pgbouncer", "postgres"), databases());
        while (!"cl_waiting".equals(model.state(View.POOLS).sortKey())) {
            model.cycleSort();
        }
        assertEquals(List.of("postgres", "pgbouncer"), databases(), "numbers sort biggest first");
        model.reverseSort();
        assertEquals(List.of("pgbouncer", "postgres"), databases());
        for (int i = DashboardModel.POOL_KEYS.indexOf("cl_waiting"); i < DashboardModel.POOL_KEYS.size(); i++) {
            model.cycleSort();
        }
        assertNull(model.state(View.POOLS).sortKey());
    }

    List<String> databases() {
        return model.visiblePools().stream().map(PoolRow::database).toList();
    }

    @Test
    void filterMatchesAnyShownTextAndResetsTheSelection() {
        apply(snapshot("poolctl-0.1-a", 0));
        model.moveSelection(1);
        model.filter("TRANS");
        assertEquals(List.of("postgres"), databases(), "pool_mode transaction, case-insensitive");
        assertEquals(0, model.state(View.POOLS).selected());
        model.view(View.CLIENTS);
        model.filter("pgbench");
        assertFalse(model.visibleRows(View.CLIENTS).isEmpty());
        model.filter("no such client");
        assertTrue(model.visibleRows(View.CLIENTS).isEmpty());
        // column=value: exactly that column (thousands of clients, only the waiting ones)
        long waiting = snapshot("poolctl-0.1-a", 0).table(dev.poolctl.tui.source.Show.CLIENTS).rowList().stream()
                .filter(r -> "waiting".equals(r.text("state"))).count();
        model.filter("state=waiting");
        assertEquals(waiting, model.visibleRows(View.CLIENTS).size());
        assertTrue(waiting > 0 && model.visibleRows(View.CLIENTS).stream().allMatch(r -> "waiting".equals(r.text("state"))));
        model.filter("state=nothing");
        assertTrue(model.visibleRows(View.CLIENTS).isEmpty());
        model.view(View.POOLS);
        model.filter("cl_waiting=5");
        assertEquals(List.of("postgres"), databases(), "numbers compare as numbers in the Pools view");
    }

    @Test
    void selectionIsClampedAndNamesTheDatabaseOfTheView() {
        apply(snapshot("pgbouncer-1.18-a", 0));
        model.moveSelection(10);
        assertEquals(1, model.state(View.POOLS).selected());
        assertEquals("postgres", model.selectedDatabase());
        model.view(View.DATABASES);
        assertEquals("pgbouncer", model.selectedDatabase(), "the name column of SHOW DATABASES");
        model.view(View.CONFIG);
        assertNull(model.selectedDatabase());
    }

    @Test
    void frozenKeepsTheScreenAndCatchesUpOnUnfreeze() {
        apply(snapshot("pgbouncer-1.18-a", 0));
        model.toggleFreeze();
        apply(snapshot("pgbouncer-1.18-b", 2));
        assertEquals(5, pool("postgres").clWaiting(), "still the frozen sample");
        model.toggleFreeze();
        assertEquals(0, pool("postgres").clWaiting());
        assertEquals((7214 - 6369) / 2.0, pool("postgres").tps(), 1e-9, "rate over the whole frozen time");
    }

    @Test
    void sortKeysOfConsoleViewsAreOnlyColumnsTheTargetHas() {
        apply(snapshot("pgbouncer-1.18-a", 0));
        assertFalse(model.sortKeys(View.CLIENTS).contains("prepared_statements"), "not in 1.18");
        assertTrue(model.sortKeys(View.CLIENTS).contains("application_name"));
        apply(snapshot("poolctl-0.1-a", 1));
        assertTrue(model.sortKeys(View.CLIENTS).contains("prepared_statements"));
    }

    @Test
    void missingColumnsAndListsStillGiveRows() {
        // An imagined old pooler: no maxwait_us, no pool_mode, no SHOW DATABASES at all.
        apply(Recorded.snapshot(0, Map.of(Show.POOLS,
                table("database,user,cl_active,cl_waiting,sv_active,sv_idle,maxwait", "app,u,1,2,3,4,7"))));
        PoolRow p = pool("app");
        assertEquals(2, p.clWaiting());
        assertEquals(7.0, p.maxwaitSeconds(), 1e-9);
        assertEquals("", p.poolMode());
        assertEquals(-1, p.poolSize());
        assertTrue(Double.isNaN(p.saturation()));
        assertTrue(model.visibleRows(View.DATABASES).isEmpty());
    }

    @Test
    void poolctlsWaitHistogramGivesTheP50AndP99WaitOfEachPool() {
        apply(Recorded.snapshot(0, Map.of(Show.POOLS,
                table("database,user,cl_active,cl_waiting,sv_active,sv_idle,maxwait", "app,u,1,2,3,4,0",
                        "app,v,1,0,1,0,0"),
                Show.HISTOGRAMS, table("database,user,histogram,count,p50_us,p99_us",
                        "app,u,query,9,100,900", "app,u,wait,7,250,25000"))));
        PoolRow u = model.pools().stream().filter(p -> p.user().equals("u")).findFirst().orElseThrow();
        assertEquals(250.0, u.waitP50Us(), 1e-9, "the wait row, not the query row");
        assertEquals(25_000.0, u.waitP99Us(), 1e-9);
        assertEquals(-1.0, (double) model.pools().stream().filter(p -> p.user().equals("v")).findFirst()
                .orElseThrow().value("wait_p99"), 1e-9, "no histogram row: unknown, sorted last");
        apply(snapshot("pgbouncer-1.18-a", 1));
        assertTrue(Double.isNaN(pool("postgres").waitP99Us()), "a PgBouncer has none");
    }

    @Test
    void aFailedPollKeepsTheLastSnapshotAndHistory() {
        apply(snapshot("pgbouncer-1.18-a", 0));
        model.pollFailed("connection refused", 1, Duration.ofSeconds(1), T0.plusSeconds(1));
        model.pollFailed("connection refused", 2, Duration.ofSeconds(2), T0.plusSeconds(2));
        ConnectionState.Reconnecting r = assertInstanceOf(ConnectionState.Reconnecting.class, model.connection());
        assertEquals(T0.plusSeconds(1), r.since(), "since the first failure");
        assertEquals(2, r.attempt());
        assertEquals(T0.plusSeconds(4), r.retryAt());
        assertEquals(5, pool("postgres").clWaiting());
        apply(snapshot("pgbouncer-1.18-b", 3));
        assertInstanceOf(ConnectionState.Connected.class, model.connection());
        assertEquals(2, model.history().waiting("postgres/postgres", 10).length);
    }

    @Test
    void intervalStepsStayWithinTheirRange() {
        assertEquals(Duration.ofSeconds(2), model.stepInterval(1));
        assertEquals(Duration.ofSeconds(1), model.stepInterval(-1));
        model.stepInterval(-5);
        assertEquals(Duration.ofMillis(250), model.interval());
        model.stepInterval(50);
        assertEquals(Duration.ofSeconds(60), model.interval());
    }
}

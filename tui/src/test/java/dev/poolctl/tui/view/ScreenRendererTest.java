package dev.poolctl.tui.view;

import static dev.poolctl.tui.support.Recorded.T0;
import static dev.poolctl.tui.support.Recorded.snapshot;

import dev.poolctl.tui.support.Recorded;
import static dev.poolctl.tui.support.Screens.line;
import static dev.poolctl.tui.support.Screens.render;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.Prompt;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Views rendered into Lanterna's virtual terminal; the numbers on screen are the console's. */
class ScreenRendererTest {
    final DashboardModel model = new DashboardModel("127.0.0.1:6432", Duration.ofSeconds(1),
            new AlertRules(Duration.ofSeconds(1), 0.8, Duration.ofSeconds(1)), T0);

    void apply(String sample, double seconds) {
        Snapshot s = snapshot(sample, seconds);
        model.apply(s, s.takenAt());
    }

    /** Cells of a screen line split on blanks. */
    static List<String> cells(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }

    @Test
    void poolsAt80x24MatchTheGoldenScreen() throws IOException {
        apply("pgbouncer-1.18-a", 0);
        apply("pgbouncer-1.18-a", 2);
        assertEquals(golden("pools-80x24.txt"), render(model, 80, 24, false));
    }

    @Test
    void poolsAt80x24ShowTheConsolesNumbers() {
        apply("poolctl-0.1-a", 0);
        String screen = render(model, 80, 24, false);
        Row console = snapshot("poolctl-0.1-a", 0).table(Show.POOLS).rowList().stream()
                .filter(r -> "postgres".equals(r.text("database"))).findFirst().orElseThrow();
        List<String> shown = cells(line(screen, "postgres     postgres"));
        // database user cl_act cl_wait sv_act sv_idle maxwait why size
        assertEquals(console.text("cl_active"), shown.get(2));
        assertEquals(console.text("cl_waiting"), shown.get(3));
        assertEquals(console.text("sv_active"), shown.get(4));
        assertEquals(console.text("sv_idle"), shown.get(5));
        // the sample has no SHOW WAITS (recorded before it existed): inferred, sv_active 3 of pool_size 3
        assertEquals("pool_size", shown.get(7), "why, where the saturation bar was at 80 columns");
        assertEquals("3", shown.get(8), "pool_size of SHOW DATABASES");
        assertTrue(screen.contains("clients 9 (waiting 5)"), screen);
        for (String l : screen.split("\n")) {
            assertTrue(l.length() <= 80);
        }
    }

    @Test
    void poolsAt160x48AddModeTpsAndSparklines() {
        apply("pgbouncer-1.18-a", 0);
        apply("pgbouncer-1.18-b", 2);
        String screen = render(model, 160, 48, false);
        String header = line(screen, "database");
        for (String h : List.of("mode", "sv_used", "sv_login", "why", "saturation", "tps", "tps 5m00s",
                "cl_waiting 5m00s")) {
            assertTrue(header.contains(h), h + " in " + header);
        }
        List<String> row = cells(line(screen, "postgres     postgres"));
        assertEquals("tx", row.get(2));
        // nobody waits in sample b, so the why cell is blank and tps is the 14th word
        assertEquals("423", row.get(13), "(7214 - 6369) / 2 s = 422.5, rounded");
        assertTrue(screen.contains("tps 426"), "total incl. the admin database's 3.5: " + screen);
    }

    @Test
    void statsViewShowsIntervalRatesAndResets() {
        apply("pgbouncer-1.18-b", 0);
        apply("pgbouncer-1.18-a", 1);
        model.view(View.STATS);
        String reset = render(model, 80, 24, false);
        assertEquals("-", cells(line(reset, "postgres")).get(1), "no rate across a reset");
        apply("pgbouncer-1.18-b", 3);
        String screen = render(model, 160, 48, false);
        List<String> row = cells(line(screen, "postgres"));
        // database tps qps recv/s sent/s avg xact avg query avg wait
        assertEquals("423", row.get(1));
        assertEquals("2975", row.get(2), "(50486 - 44537) / 2 = 2974.5, rounded");
        assertEquals("3.6ms", row.get(7), "avg xact (30930362 - 27889277) / 845 us");
        assertFalse(screen.contains("reset"));
    }

    @Test
    void consoleViewsShowOnlyColumnsTheTargetHas() {
        apply("pgbouncer-1.18-a", 0);
        model.view(View.CLIENTS);
        String old = render(model, 160, 48, false);
        assertFalse(line(old, "application_name").contains("prepared_statements"));
        apply("poolctl-0.1-a", 1);
        String screen = render(model, 160, 48, false);
        assertTrue(line(screen, "application_name").contains("prepared_statements"));
        assertTrue(screen.lines().anyMatch(l -> l.contains("127.0.0.1") && l.contains("pgbench")), screen);
    }

    @Test
    void alertsPanelListsRaisedAlertsWithTheirStart() {
        apply("pgbouncer-1.18-a", 0);
        apply("pgbouncer-1.18-a", 1.5);
        String screen = render(model, 80, 24, false);
        assertTrue(line(screen, "clients waiting").startsWith("! 12:00:00 clients waiting postgres/postgres for 1s"),
                screen);
        assertTrue(screen.contains("pool near its size postgres/postgres"));
    }

    @Test
    void statusLineShowsReconnectingWithItsError() {
        apply("pgbouncer-1.18-a", 0);
        model.pollFailed("connection refused", 3, Duration.ofSeconds(4), T0.plusSeconds(1));
        String screen = render(model, 80, 24, false);
        String last = screen.split("\n")[23];
        assertEquals("reconnecting... attempt 3, next try in 4s: connection refused", last);
        assertTrue(screen.contains("postgres     postgres"), "the last snapshot stays on screen");
    }

    @Test
    void helpIsGeneratedFromTheKeyBindingsAndFitsIn80x24() {
        apply("pgbouncer-1.18-a", 0);
        model.prompt(new Prompt.Help());
        String screen = render(model, 80, 24, false);
        assertTrue(screen.contains("PAUSE selected database"));
        assertTrue(screen.contains("q, Ctrl-C"));
        assertTrue(screen.contains("KILL selected database"), "the last binding is on screen too");
        String readonly = render(model, 80, 24, true);
        assertFalse(readonly.contains("PAUSE"));
        assertTrue(readonly.split("\n")[23].contains("read-only"));
    }

    /** Enter on a pool: its SHOW WAITS cause and detail in a box that fits 80x24. */
    @Test
    void enterShowsWhyTheSelectedPoolWaits() {
        Snapshot s = Recorded.snapshot(0, java.util.Map.of(
                Show.POOLS, Recorded.table("database,user,cl_active,cl_waiting,sv_active,sv_idle,sv_used,sv_tested,"
                        + "sv_login,maxwait,maxwait_us,pool_mode", "app,alice,2,4,2,0,0,0,0,3,250000,transaction"),
                Show.DATABASES, Recorded.table("name,pool_size,paused,disabled", "app,10,0,0"),
                Show.WAITS, Recorded.table("database,user,cl_waiting,maxwait_us,cause,detail",
                        "app,alice,4,3250000,max_db_connections,max_db_connections 2 reached by database app (the"
                                + " servers of every user's pool count)")));
        model.apply(s, s.takenAt());
        String screen = render(model, 80, 24, false);
        assertEquals("max_db", cells(line(screen, "app          alice")).get(7), screen);
        model.prompt(new Prompt.WaitDetail("app", "alice"));
        String box = render(model, 80, 24, false);
        assertTrue(box.contains("| why clients of app / alice wait"), box);
        assertTrue(box.contains("| waiting 4, longest 3.3s"), box);
        assertTrue(box.contains("| cause: max_db_connections  (SHOW WAITS)"), box);
        assertTrue(box.contains("| max_db_connections 2 reached by database app (the servers of every |"), box);
        assertTrue(box.contains("| user's pool count)"), box);
        for (String l : box.split("\n")) {
            assertTrue(l.length() <= 80, l);
        }
        model.prompt(new Prompt.WaitDetail("app", "nobody"));
        assertTrue(render(model, 80, 24, false).contains("| pool app / nobody is gone"));
    }

    /** A PgBouncer has no SHOW WAITS: the cause is inferred from its lists, and the box says so. */
    @Test
    void aPgBouncersCauseIsInferredAndSaysSo() {
        apply("pgbouncer-1.18-a", 0);
        model.moveSelection(1);
        model.prompt(new Prompt.WaitDetail("postgres", "postgres"));
        String box = render(model, 80, 24, false);
        assertTrue(box.contains("| cause: pool_size  (inferred from SHOW POOLS, DATABASES, USERS, CONFIG)"), box);
        assertTrue(box.contains("| servers 3 of pool_size 3 (sv_active 3, sv_used 0, sv_tested 0"), box);
    }

    /** poolctl's SHOW STATE rows: the header gives the pooler's uptime, and a drain replaces the totals. */
    @Test
    void uptimeAndDrainProgressFromShowState() {
        java.util.Map<Show, dev.poolctl.tui.source.Table> tables = new java.util.EnumMap<>(Show.class);
        tables.put(Show.POOLS, Recorded.table("database,user,cl_active,cl_waiting,sv_active,sv_idle,pool_mode",
                "pgbouncer,pgbouncer,1,0,0,0,statement", "app,alice,7,2,3,0,transaction"));
        tables.put(Show.STATE, Recorded.table("key,value", "active,yes", "paused,no", "suspended,no",
                "started_at,2026-11-26 10:59:30 UTC", "draining,no", "drain_deadline,"));
        Snapshot s = Recorded.snapshot(0, tables);
        model.apply(s, s.takenAt());
        String screen = render(model, 80, 24, false);
        assertTrue(screen.split("\n")[0].contains("up 1h00m"), "started 1h00m30s before T0: " + screen);
        tables.put(Show.STATE, Recorded.table("key,value", "active,yes", "paused,no", "suspended,no",
                "started_at,2026-11-26 10:59:30 UTC", "draining,yes", "drain_deadline,2026-11-26 12:00:37 UTC"));
        s = Recorded.snapshot(0, tables);
        model.apply(s, s.takenAt());
        String draining = render(model, 80, 24, false);
        assertEquals("DRAINING: 9 clients left  servers active 3  deadline in 37s", draining.split("\n")[1].trim(),
                "the console session is not counted as left: " + draining);
    }

    @Test
    void confirmationNamesTheCommand() {
        apply("pgbouncer-1.18-a", 0);
        model.prompt(new Prompt.Confirm("KILL postgres"));
        assertTrue(render(model, 80, 24, false).contains("| KILL postgres ?   y = run it, any other key = cancel |"));
    }

    static String golden(String name) throws IOException {
        try (InputStream in = ScreenRendererTest.class.getResourceAsStream("/screens/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

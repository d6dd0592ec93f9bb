package dev.poolctl.tui.view;

import static dev.poolctl.tui.support.Recorded.T0;
import static dev.poolctl.tui.support.Recorded.snapshot;
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
        // database user cl_act cl_wait sv_act sv_idle maxwait size saturation
        assertEquals(console.text("cl_active"), shown.get(2));
        assertEquals(console.text("cl_waiting"), shown.get(3));
        assertEquals(console.text("sv_active"), shown.get(4));
        assertEquals(console.text("sv_idle"), shown.get(5));
        assertEquals("3", shown.get(7), "pool_size of SHOW DATABASES");
        assertTrue(line(screen, "postgres     postgres").endsWith("######## 100%"));
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
        for (String h : List.of("mode", "sv_used", "sv_test", "sv_login", "tps", "tps 5m00s",
                "cl_waiting 5m00s")) {
            assertTrue(header.contains(h), h + " in " + header);
        }
        List<String> row = cells(line(screen, "postgres     postgres"));
        assertEquals("tx", row.get(2));
        assertEquals("423", row.get(14), "(7214 - 6369) / 2 s = 422.5, rounded");
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

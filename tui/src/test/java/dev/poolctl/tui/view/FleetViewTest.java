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
import dev.poolctl.tui.source.FleetSnapshotSource;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.SnapshotSource;
import java.io.IOException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

/** top on a fleet: the Fleet view at 80x24 and 160x48, sums in the Pools view, one instance alone on Enter. */
class FleetViewTest {
    final DashboardModel model = new DashboardModel("fleet of 3", Duration.ofSeconds(1),
            new AlertRules(Duration.ofSeconds(1), 0.8, Duration.ofSeconds(1)), T0);

    /** The recorded samples one after the other, {@code seconds} apart. */
    static SnapshotSource samples(double seconds, String... names) {
        Iterator<String> it = Arrays.asList(names).iterator();
        double[] at = {0};
        return new SnapshotSource() {
            public Snapshot take() {
                Snapshot s = snapshot(it.next(), at[0]);
                at[0] += seconds;
                return s;
            }

            public String describe() {
                return names[0];
            }

            public void close() {}
        };
    }

    static SnapshotSource down() {
        return new SnapshotSource() {
            public Snapshot take() throws IOException {
                throw new IOException("cannot connect to 10.0.0.3:6432: Connection refused");
            }

            public String describe() {
                return "down";
            }

            public void close() {}
        };
    }

    void twoRounds() throws Exception {
        try (FleetSnapshotSource f = new FleetSnapshotSource(List.of("10.0.0.1:6432", "10.0.0.2:6432", "10.0.0.3:6432"),
                List.of(samples(2, "poolctl-0.1-a", "poolctl-0.1-b"), samples(2, "pgbouncer-1.18-a", "pgbouncer-1.18-b"),
                        down()))) {
            Snapshot first = f.take();
            model.apply(first, T0);
            Snapshot second = f.take();
            model.apply(second, T0.plusSeconds(2));
        }
    }

    static List<String> cells(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }

    @Test
    void theFleetViewHasARowPerInstanceAndSaysWhyOneIsDown() throws Exception {
        twoRounds();
        model.view(View.FLEET);
        String small = render(model, 80, 24, false);
        assertTrue(small.split("\n")[0].contains("fleet of 3  2 up, summed"), small);
        assertTrue(small.split("\n")[2].contains("8 Fleet"), "the Fleet tab is there for a fleet: " + small);
        List<String> up = cells(line(small, "10.0.0.1:6432"));
        assertEquals("up", up.get(1), small);
        List<String> pgbouncer = cells(line(small, "10.0.0.2:6432"));
        assertEquals("up", pgbouncer.get(1), small);
        String down = line(small, "10.0.0.3:6432");
        assertTrue(down.contains("down") && down.contains("cannot connect"), small);
        for (String l : small.split("\n")) {
            assertTrue(l.length() <= 80, l);
        }
        String wide = render(model, 160, 48, false);
        assertTrue(line(wide, "10.0.0.2:6432").contains("PgBouncer 1.18.0"), wide);
        assertTrue(line(wide, "instance").contains("version / error"), wide);
    }

    @Test
    void poolsAreSummedUntilEnterShowsOneInstanceAlone() throws Exception {
        twoRounds();
        String summed = render(model, 80, 24, false);
        List<String> postgres = cells(line(summed, "postgres     postgres"));
        long waiting = Long.parseLong(snapshot("poolctl-0.1-b", 2).table(dev.poolctl.tui.source.Show.POOLS).rowList()
                .stream().filter(r -> "postgres".equals(r.text("database"))).findFirst().orElseThrow().text("cl_waiting"))
                + Long.parseLong(snapshot("pgbouncer-1.18-b", 2).table(dev.poolctl.tui.source.Show.POOLS).rowList()
                .stream().filter(r -> "postgres".equals(r.text("database"))).findFirst().orElseThrow().text("cl_waiting"));
        assertEquals(Long.toString(waiting), postgres.get(3), summed);

        model.view(View.FLEET);
        model.moveSelection(1); // 10.0.0.2:6432, the PgBouncer
        model.focusSelectedInstance();
        try (FleetSnapshotSource f = new FleetSnapshotSource(List.of("10.0.0.1:6432", "10.0.0.2:6432", "10.0.0.3:6432"),
                List.of(samples(2, "poolctl-0.1-a"), samples(2, "pgbouncer-1.18-a"), down()))) {
            model.apply(f.take(), T0.plusSeconds(4));
        }
        assertEquals("10.0.0.2:6432", model.fleet().focus());
        model.view(View.POOLS);
        String alone = render(model, 80, 24, false);
        assertTrue(alone.split("\n")[0].contains("showing 10.0.0.2:6432"), alone);
        assertEquals("PgBouncer 1.18.0", model.version());
        model.prompt(new Prompt.Confirm("PAUSE postgres"));
        assertTrue(render(model, 80, 24, false).contains("PAUSE postgres on 10.0.0.2:6432 ?"));
        model.view(View.FLEET);
        model.focusSelectedInstance(); // the same again: all
        model.prompt(Prompt.NONE);
        assertEquals(null, model.fleet().focus());
        model.prompt(new Prompt.Confirm("PAUSE postgres"));
        assertTrue(render(model, 80, 24, false).contains("PAUSE postgres on all 3 instances ?"));
        assertFalse(render(model, 80, 24, false).contains("showing"));
    }
}

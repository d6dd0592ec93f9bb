package dev.poolctl.tui.source;

import static dev.poolctl.tui.support.Recorded.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A fleet's snapshot from its instances': sums, concatenations, and an instance that is down. */
class FleetSnapshotSourceTest {
    static SnapshotSource recorded(String sample) {
        return new SnapshotSource() {
            public Snapshot take() {
                return snapshot(sample, 0);
            }

            public String describe() {
                return sample;
            }

            public void close() {}
        };
    }

    static SnapshotSource down(String why) {
        return new SnapshotSource() {
            public Snapshot take() throws IOException {
                throw new IOException(why);
            }

            public String describe() {
                return "down";
            }

            public void close() {}
        };
    }

    static FleetSnapshotSource fleet(SnapshotSource... sources) {
        List<String> names = List.of("10.0.0.1:6432", "10.0.0.2:6432", "10.0.0.3:6432").subList(0, sources.length);
        return new FleetSnapshotSource(names, List.of(sources));
    }

    @Test
    void poolsAndDatabasesAreSummedRowListsConcatenatedAndADownInstanceIsNamed() throws Exception {
        try (FleetSnapshotSource f = fleet(recorded("poolctl-0.1-a"), recorded("pgbouncer-1.18-a"),
                down("cannot connect to 10.0.0.3:6432: Connection refused"))) {
            Snapshot s = f.take();
            assertTrue(s.isFleet());
            assertEquals(3, s.fleet().size());
            assertFalse(s.fleet().get(2).up());
            assertEquals("cannot connect to 10.0.0.3:6432: Connection refused", s.fleet().get(2).error());
            assertNull(s.instance("10.0.0.3:6432"));
            assertEquals("mixed versions", s.version());

            Row postgres = s.table(Show.POOLS).rowList().stream().filter(r -> "postgres".equals(r.text("database")))
                    .findFirst().orElseThrow();
            assertEquals(10, postgres.number("cl_waiting"), "5 + 5");
            assertEquals(6, postgres.number("sv_active"), "3 + 3");
            assertEquals(13132, postgres.number("maxwait_us"), "the longest wait, not a sum");
            assertEquals("transaction", postgres.text("pool_mode"));
            Row db = s.table(Show.DATABASES).rowList().stream().filter(r -> "postgres".equals(r.text("name")))
                    .findFirst().orElseThrow();
            assertEquals(6, db.number("pool_size"), "the fleet's capacity: 3 + 3");
            Table clients = s.table(Show.CLIENTS);
            assertEquals("instance", clients.columns().get(0));
            assertEquals(snapshot("poolctl-0.1-a", 0).table(Show.CLIENTS).size()
                    + snapshot("pgbouncer-1.18-a", 0).table(Show.CLIENTS).size(), clients.size());
            assertEquals(snapshot("poolctl-0.1-a", 0).table(Show.CONFIG), s.table(Show.CONFIG), "the first's");
        }
    }

    @Test
    void onlyWhenNoInstanceAnswersDoesTheSnapshotFail() {
        try (FleetSnapshotSource f = fleet(down("refused"), down("refused too"))) {
            IOException e = assertThrows(IOException.class, f::take);
            assertTrue(e.getMessage().contains("no instance of the fleet answers"), e.getMessage());
        }
    }
}

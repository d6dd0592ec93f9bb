package dev.poolctl.tui.source;

import static dev.poolctl.tui.support.Recorded.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** top --record and --replay: the line format both ways, the file's bound, and playing it back. */
class RecordReplayTest {
    static void assertSameSnapshot(Snapshot expected, Snapshot actual) {
        assertEquals(expected.takenAt(), actual.takenAt());
        assertEquals(expected.monotonicNanos(), actual.monotonicNanos());
        assertEquals(expected.version(), actual.version());
        assertEquals(expected.tables(), actual.tables());
        assertEquals(expected.fleet().size(), actual.fleet().size());
    }

    @Test
    void aSnapshotAndAFleetsRoundTrip() {
        Snapshot s = snapshot("poolctl-0.1-a", 1.5);
        assertSameSnapshot(s, RecordFormat.read(RecordFormat.write(s)));
        Snapshot fleet = new Snapshot(7, s.takenAt(), "mixed versions", s.tables(), List.of(
                new Snapshot.Instance("10.0.0.1:6432", s, null),
                new Snapshot.Instance("10.0.0.2:6432", null, "cannot connect: \"refused\"\n")));
        Snapshot back = RecordFormat.read(RecordFormat.write(fleet));
        assertSameSnapshot(fleet, back);
        assertSameSnapshot(s, back.fleet().get(0).snapshot());
        assertNull(back.fleet().get(1).snapshot());
        assertEquals("cannot connect: \"refused\"\n", back.fleet().get(1).error());
    }

    @Test
    void whatIsNotARecordingLineIsRefusedSayingWhere() {
        for (String bad : List.of("", "{", "[1,2]", "{\"t\":1,\"n\":2,\"version\":\"x\",\"tables\":{\"POOLS\":{"
                + "\"columns\":[\"a\"],\"rows\":[[1]]}}}", "{\"t\":1} trailing", "\"unterminated",
                "[".repeat(100) + "]".repeat(100))) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RecordFormat.read(bad),
                    bad);
            assertTrue(e.getMessage() != null && !e.getMessage().isEmpty());
        }
    }

    static SnapshotSource samples(String... names) {
        Iterator<String> it = List.of(names).iterator();
        double[] at = {0};
        return new SnapshotSource() {
            public Snapshot take() {
                Snapshot s = snapshot(it.next(), at[0]);
                at[0] += 2;
                return s;
            }

            public String describe() {
                return "samples";
            }

            public void close() {}
        };
    }

    @Test
    void aRecordingPlaysBackInOrderPausesStepsAndEnds(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("incident.jsonl");
        String[] names = {"poolctl-0.1-a", "poolctl-0.1-b", "pgbouncer-1.18-a"};
        try (RecordingSource r = new RecordingSource(samples(names), file, 64L << 20)) {
            for (int i = 0; i < names.length; i++) {
                r.take();
            }
            assertNull(r.problem());
        }
        assertEquals(3, Files.readAllLines(file).size());
        try (ReplaySource replay = new ReplaySource(file)) {
            Snapshot first = replay.take();
            assertSameSnapshot(snapshot(names[0], 0), first);
            assertEquals("snapshot 1 of 3", replay.position());
            replay.paused(true);
            assertSame(first, replay.take(), "paused: the same snapshot again");
            replay.step();
            assertSameSnapshot(snapshot(names[1], 2), replay.take());
            assertEquals("snapshot 2 of 3", replay.position());
            replay.paused(false);
            assertSameSnapshot(snapshot(names[2], 4), replay.take());
            ReplaySource.EndOfRecording end = assertThrows(ReplaySource.EndOfRecording.class, replay::take);
            assertEquals("end of the recording (3 snapshots)", end.getMessage());
        }
        Snapshot[] last = ReplaySource.lastTwo(file);
        assertSameSnapshot(snapshot(names[1], 2), last[0]);
        assertSameSnapshot(snapshot(names[2], 4), last[1]);
    }

    /** Past the bound the file moves to FILE.1 and starts again: at most about twice the bound is kept. */
    @Test
    void theFileIsBoundedAndRotates(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("r.jsonl");
        long oneLine = RecordFormat.write(snapshot("poolctl-0.1-a", 0)).length() + 1;
        try (RecordingSource r = new RecordingSource(samples("poolctl-0.1-a", "poolctl-0.1-a", "poolctl-0.1-a",
                "poolctl-0.1-a", "poolctl-0.1-a"), file, oneLine * 2 + 50)) { // slack: later times have more digits
            for (int i = 0; i < 5; i++) {
                r.take();
            }
        }
        assertEquals(1, Files.readAllLines(file).size(), "the fifth line starts a new file");
        assertEquals(2, Files.readAllLines(dir.resolve("r.jsonl.1")).size(), "lines three and four");
    }

    @Test
    void aFileThatIsNotARecordingFailsTheReplayWithItsLine(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, RecordFormat.write(snapshot("poolctl-0.1-a", 0)) + "\nthis is not json\n");
        try (ReplaySource replay = new ReplaySource(file)) {
            replay.take();
            IOException e = assertThrows(IOException.class, replay::take);
            assertTrue(e.getMessage().startsWith(file + " line 2: "), e.getMessage());
        }
        assertThrows(IOException.class, () -> ReplaySource.lastTwo(file), "--once reads the last two: one is not");
        Path one = dir.resolve("one.jsonl");
        Files.writeString(one, RecordFormat.write(snapshot("poolctl-0.1-a", 0)) + "\n");
        assertNull(ReplaySource.lastTwo(one), "one snapshot has no rates");
    }
}

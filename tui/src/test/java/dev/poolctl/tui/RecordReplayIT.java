package dev.poolctl.tui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import dev.poolctl.client.AdminClient;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.source.AdminSnapshotSource;
import dev.poolctl.tui.source.RecordingSource;
import dev.poolctl.tui.source.ReplaySource;
import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Show;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.support.FlushedFrames;
import dev.poolctl.tui.support.Screens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A recording taken while a real pool is saturated (pool_size 1 held by a transaction, clients queued behind it,
 * then released), replayed on a virtual terminal one snapshot at a time: each frame shows the recorded SHOW POOLS
 * numbers and the recorded time, paused frames do not move, and the end of the recording is said.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RecordReplayIT {
    static PostgresCluster pg;

    static List<String> cells(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }

    @Test
    void aSaturationRecordedAndReplayedFrameByFrame(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("incident.jsonl");
        ExecutorService threads = Executors.newCachedThreadPool();
        List<Snapshot> recorded = new ArrayList<>();
        try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER).set("default_pool_size", "1"))) {
            AdminSnapshotSource.Connector connector = () -> AdminClient.connect(
                    new AdminClient.Target("127.0.0.1", pooler.port(), PostgresCluster.MD5_USER),
                    u -> PostgresCluster.MD5_PASSWORD, 3000, 5000);
            try (Connection first = pooler.connect(); Statement st = first.createStatement()) {
                st.execute("select 1"); // the testdb pool exists from the first snapshot on
            }
            try (RecordingSource recording = new RecordingSource(new AdminSnapshotSource(connector,
                    "127.0.0.1:" + pooler.port(), Clock.systemUTC()), file, 64L << 20)) {
                recorded.add(recording.take()); // idle
                Connection holder = pooler.connect();
                holder.setAutoCommit(false);
                try (Statement st = holder.createStatement()) {
                    st.execute("select pg_sleep(0.05)"); // the only server, held by the transaction
                }
                List<Future<?>> waiting = new ArrayList<>();
                for (int i = 0; i < 3; i++) {
                    waiting.add(threads.submit(() -> {
                        try (Connection c = pooler.connect(); Statement st = c.createStatement()) {
                            st.execute("select 1");
                        }
                        return null;
                    }));
                }
                PoolerFixture.await("3 clients waiting", Duration.ofSeconds(20), () -> {
                    try {
                        Snapshot s = recording.take();
                        recorded.add(s);
                        return waiting(s) == 3;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                holder.commit();
                holder.close();
                for (Future<?> f : waiting) {
                    f.get(30, TimeUnit.SECONDS);
                }
                recorded.add(recording.take()); // released
            }
        } finally {
            threads.shutdownNow();
        }
        assertEquals(recorded.size(), Files.readAllLines(file).size(), "one line per snapshot");
        assertTrue(recorded.stream().anyMatch(s -> waiting(s) == 3) && waiting(recorded.get(recorded.size() - 1)) == 0);

        DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(80, 24));
        FlushedFrames frames = new FlushedFrames(terminal);
        ReplaySource replay = new ReplaySource(file);
        replay.paused(true); // frame by frame from the first
        Dashboard d = new Dashboard(new TerminalScreen(terminal), replay, new Dashboard.Options(Duration.ofMillis(100),
                new AlertRules(Duration.ofSeconds(1), 0.8, Duration.ofSeconds(1)), null), Clock.system(ZoneOffset.UTC));
        ExecutorService ui = Executors.newSingleThreadExecutor();
        Future<?> running = ui.submit(() -> {
            d.run();
            return null;
        });
        try {
            for (int i = 0; i < recorded.size(); i++) {
                Snapshot expected = recorded.get(i);
                String position = "snapshot " + (i + 1) + " of " + recorded.size() + ", paused";
                long waitingThen = waiting(expected);
                String screen = frames.await(position, s -> s.split("\n")[0].contains(position)
                        && s.contains("testdb       md5_user"), 10);
                assertEquals(Long.toString(waitingThen), cells(Screens.line(screen, "testdb       md5_user")).get(3),
                        "frame " + (i + 1) + ": the recorded cl_waiting\n" + screen);
                terminal.addInput(new KeyStroke('.', false, false)); // one on
            }
            String end = frames.await("the end of the recording", s -> s.contains("end of the recording ("
                    + recorded.size() + " snapshots)"), 10);
            assertTrue(end.contains("testdb       md5_user"), "the last frame stays on screen: " + end);
        } finally {
            terminal.addInput(new KeyStroke('q', false, false));
            running.get(10, TimeUnit.SECONDS);
            ui.shutdownNow();
            replay.close();
        }
    }

    static long waiting(Snapshot s) {
        return s.table(Show.POOLS).rowList().stream().filter(r -> "testdb".equals(r.text("database")))
                .mapToLong(r -> r.number("cl_waiting")).sum();
    }
}

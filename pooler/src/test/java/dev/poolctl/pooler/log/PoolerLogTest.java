package dev.poolctl.pooler.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The writer thread behind PoolerLog: nothing lost at close, bounded lines, reopen after a move. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PoolerLogTest {
    @TempDir
    Path dir;

    @Test
    void closeWritesEveryQueuedLineInOrder() throws Exception {
        Path file = dir.resolve("a.log");
        PoolerLog log = new PoolerLog(false, 0);
        log.logfile(file);
        for (int i = 0; i < 5_000; i++) {
            log.log("line " + i);
        }
        log.close();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(5_000, lines.size());
        for (int i = 0; i < lines.size(); i++) {
            assertTrue(lines.get(i).endsWith(" LOG line " + i), lines.get(i));
        }
        assertEquals(0, log.droppedLines());
    }

    @Test
    void whatWaitsForTheLogRunsOnlyOnceEveryEarlierLineIsInTheFile() throws Exception {
        Path file = dir.resolve("after.log");
        PoolerLog log = new PoolerLog(false, 0);
        log.logfile(file);
        ExecutorService loop = Executors.newSingleThreadExecutor();
        try {
            ConcurrentLinkedQueue<Integer> linesSeen = new ConcurrentLinkedQueue<>();
            CountDownLatch done = new CountDownLatch(200);
            for (int i = 0; i < 200; i++) {
                log.log("closing because: client " + i);
                int expected = i;
                log.afterWritten(() -> {
                    try {
                        List<String> now = Files.readAllLines(file, StandardCharsets.UTF_8);
                        // the line logged just before (and every one before it) is there already
                        linesSeen.add(now.stream().anyMatch(l -> l.endsWith("client " + expected)) ? now.size() : -1);
                    } catch (IOException e) {
                        linesSeen.add(-1);
                    }
                    done.countDown();
                }, loop);
            }
            assertTrue(done.await(20, TimeUnit.SECONDS));
            assertFalse(linesSeen.contains(-1), "an action ran before its line was written: " + linesSeen);
        } finally {
            loop.shutdownNow();
            log.close();
        }
        // With nothing pending it runs at once, in the caller; after close too.
        boolean[] ran = new boolean[1];
        log.afterWritten(() -> ran[0] = true, r -> { throw new AssertionError("not through the executor"); });
        assertTrue(ran[0]);
    }

    @Test
    void aHugeMessageIsCutToABoundedLine() throws Exception {
        Path file = dir.resolve("a.log");
        PoolerLog log = new PoolerLog(false, 0);
        log.logfile(file);
        log.warning("q".repeat(1_000_000));
        log.close();
        String line = Files.readString(file);
        assertTrue(line.length() < PoolerLog.MAX_LINE_CHARS + 200, "line of " + line.length() + " chars");
        assertTrue(line.contains("... (1000000 chars)"), line.substring(line.length() - 60));
    }

    @Test
    void reopenAfterAMoveStartsANewFile() throws Exception {
        Path file = dir.resolve("a.log");
        PoolerLog log = new PoolerLog(false, 0);
        log.logfile(file);
        log.log("before");
        assertTrue(log.flush(10_000));
        Files.move(file, dir.resolve("a.log.1"));
        log.logfile(file);
        log.log("after");
        log.close();
        assertTrue(Files.readString(file).contains("LOG after"), Files.readString(file));
        assertFalse(Files.readString(file).contains("before"));
        assertTrue(Files.readString(dir.resolve("a.log.1")).contains("LOG before"));
    }
}

package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A logfile that cannot be written (a FIFO nobody reads: every write blocks once the pipe's 64 KiB are full) must not
 * stall the clients: the loop only queues lines, the writer thread is the one that waits, and what does not fit is
 * dropped and counted.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SlowLogIT {
    private static PostgresCluster pg;

    @Test
    void clientsGetAnswersPromptlyWhileTheLogfileBlocks() throws Exception {
        Path dir = Files.createTempDirectory("poolctl-slowlog-");
        Path fifo = dir.resolve("pooler.fifo");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        assertTrue(mkfifo.waitFor(10, TimeUnit.SECONDS) && mkfifo.exitValue() == 0, "mkfifo");
        // Held open read-write so the pooler's open for append does not wait for a reader; nothing reads it yet.
        try (RandomAccessFile pipe = new RandomAccessFile(fifo.toFile(), "rw");
             PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                     .set("logfile", fifo.toString()).set("log_connections", "1").set("log_disconnections", "1"))) {
            selectOne(pooler); // warm: JDBC classes loaded, one server connection in the pool
            // Far more than the pipe and the queue hold, from another thread: with a synchronous log this thread
            // blocks on the full pipe, and so does the loop at its next log line.
            Thread filler = new Thread(() -> {
                for (int i = 0; i < 40_000; i++) {
                    pooler.daemon().log().log("filler line " + i + " " + "x".repeat(200));
                }
            }, "log-filler");
            filler.setDaemon(true);
            filler.start();
            filler.join(10_000);
            assertFalse(filler.isAlive(), "logging never blocks the caller");
            assertTrue(pooler.daemon().log().droppedLines() > 0, "lines past the queue are dropped and counted");

            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                selectOne(pooler); // its login and logout are logged on the loop
                long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                // A stuck loop would not answer at all (pgjdbc's socketTimeout is 60 s); the bound allows a busy CI.
                assertTrue(millis < 5_000, "client " + i + " answered in " + millis + " ms despite the stuck log");
            }

            // Once someone reads the pipe, the writer catches up and reports how much it lost.
            StringBuilder seen = new StringBuilder();
            byte[] buf = new byte[64 * 1024];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!seen.toString().contains("log writer could not keep up: dropped ") && System.nanoTime() < deadline) {
                int n = pipe.read(buf);
                seen.append(new String(buf, 0, Math.max(0, n), StandardCharsets.UTF_8));
                if (seen.length() > 1_000_000) {
                    seen.delete(0, seen.length() - 1_000); // keep the tail: the report comes after the backlog
                }
            }
            assertTrue(seen.toString().contains("log writer could not keep up: dropped "), "the drop count is logged");
        }
    }

    private static void selectOne(PoolerFixture pooler) throws Exception {
        try (Connection c = pooler.connect(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
    }
}

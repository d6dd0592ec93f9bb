package dev.poolctl.pooler.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.log.PoolerLog;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A failed accept (EMFILE) is logged once and pauses accepting for a second; it never reaches Netty's logger. */
class AcceptErrorsTest {
    @TempDir
    Path dir;

    @Test
    void aFailedAcceptPausesAcceptingForASecondAndIsLoggedOncePerPause() throws Exception {
        Path file = dir.resolve("p.log");
        PoolerLog log = new PoolerLog(false, 0);
        log.logfile(file);
        EmbeddedChannel listener = new EmbeddedChannel(new AcceptErrors(log));
        listener.freezeTime(); // only advanceTimeBy moves it: a loaded machine cannot make the pause look short

        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        listener.pipeline().fireExceptionCaught(new IOException("accept(..) failed: Too many open files"));
        listener.checkException(); // handled: nothing reaches the end of the pipeline
        assertFalse(listener.config().isAutoRead(), "accepting paused");

        listener.advanceTimeBy(999, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertFalse(listener.config().isAutoRead(), "still paused before the second is over");
        listener.advanceTimeBy(2, TimeUnit.MILLISECONDS);
        listener.runScheduledPendingTasks();
        assertTrue(listener.config().isAutoRead(), "accepting again after a second");

        log.close();
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(1, lines.stream().filter(l -> l.contains("accept() failed: accept(..) failed: Too many open files"))
                .count(), String.join("\n", lines));
        assertFalse(listener.finish());
    }
}

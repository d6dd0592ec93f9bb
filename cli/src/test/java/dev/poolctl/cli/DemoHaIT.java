package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code scripts/demo-ha} end to end (issue 13): two poolctl instances behind HAProxy, each drained and restarted
 * while pgbench runs through HAProxy (which checks /readyz; drain_accept_grace keeps each port open until HAProxy
 * has seen the 503); the script fails when pgbench saw a failed transaction. Needs Debian's
 * haproxy (installed by .ci/run) and the PostgreSQL binaries; skipped without haproxy.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DemoHaIT {
    @TempDir
    Path dir;

    @Test
    void aRollingRestartUnderPgbenchLoadFailsNoTransaction() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/haproxy")), "haproxy is not installed");
        Path out = dir.resolve("demo-ha.out");
        ProcessBuilder pb = new ProcessBuilder("bash", Path.of("..", "scripts", "demo-ha").toAbsolutePath().toString())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        pb.environment().put("DEMO_SECONDS", "20");
        pb.environment().put("DEMO_PG_PORT", Integer.toString(freePort()));
        pb.environment().put("DEMO_PORT_A", Integer.toString(freePort()));
        pb.environment().put("DEMO_PORT_B", Integer.toString(freePort()));
        pb.environment().put("DEMO_HA_PORT", Integer.toString(freePort()));
        pb.environment().put("DEMO_HTTP_A", Integer.toString(freePort()));
        pb.environment().put("DEMO_HTTP_B", Integer.toString(freePort()));
        Process p = pb.start();
        boolean ended = p.waitFor(150, TimeUnit.SECONDS);
        if (!ended) {
            p.descendants().forEach(ProcessHandle::destroy); // its cleanup trap stops what it started
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
        }
        String text = Files.readString(out);
        System.out.println(text);
        assertTrue(ended, "demo-ha ended in time:\n" + text);
        assertEquals(0, p.exitValue(), text);
        assertTrue(text.contains("number of failed transactions: 0 (0.000%)"), text);
        assertTrue(text.contains("a: drained: the pooler has exited") && text.contains("b: drained: the pooler has exited"),
                text);
        assertTrue(text.contains("pgbench saw no failed transaction"), text);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}

package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replies the pooler makes itself obey backpressure: a client that pipelines requests the pooler answers on its
 * own (here console commands; synthesized ParseComplete/CloseComplete and errors take the same path) and never
 * reads the answers is no longer read
 * once its output backs up, so the pooler's buffer towards it stays bounded; other clients keep working.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class SelfRepliesBackpressureIT {
    /** Netty's high-water mark is 256 KiB, plus the one answer that crossed it; far below the 200 MB answered. */
    private static final long BOUND = 1024 * 1024;

    private static PostgresCluster pg;

    @Test
    void consoleAnswersToAClientThatPipelinesAndNeverReads() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("admin_users",
                PostgresCluster.MD5_USER));
             RawClient flood = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
            flood.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "pgbouncer");
            // Some 10 KB of answer each, 200 MB in all: far more than the kernel's socket buffers hold.
            assertOutputStaysBounded(f, flood, ClientState.ADMIN, RawClient.query("SHOW CONFIG"), 20_000);
        }
    }

    private static void assertOutputStaysBounded(PoolerFixture f, RawClient flood, ClientState state, byte[] request,
            int requests) throws Exception {
        ByteArrayOutputStream batch = new ByteArrayOutputStream();
        for (int i = 0; i < 1000; i++) {
            batch.write(request);
        }
        byte[] chunk = batch.toByteArray();
        // Blocks once the pooler stops reading: the socket is closed at the end, which ends it.
        CompletableFuture<Void> sender = CompletableFuture.runAsync(() -> {
            try {
                for (int i = 0; i < requests / 1000; i++) {
                    flood.send(chunk);
                }
            } catch (IOException e) {
                // closed by the test
            }
        });
        ClientConnection[] c = new ClientConnection[1];
        PoolerFixture.await("the flooding client to be " + state, Duration.ofSeconds(10), () -> {
            c[0] = f.inLoop(() -> f.daemon().poolManagers().stream().flatMap(m -> m.allClients().stream())
                    .filter(x -> x.state() == state).map(x -> (ClientConnection) x).findFirst().orElse(null));
            return c[0] != null;
        });
        long max = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        boolean sent = false;
        while (System.nanoTime() < deadline) {
            max = Math.max(max, pendingBytes(f, c[0]));
            if (!sent && sender.isDone()) {
                sent = true; // all requests went out: give the pooler two more seconds to read and answer them
                deadline = Math.min(deadline, System.nanoTime() + Duration.ofSeconds(2).toNanos());
            }
            Thread.sleep(20);
        }
        ClientConnection flooding = c[0];
        assertTrue(max < BOUND, "the pooler buffered " + max + " bytes for a client that never reads");
        assertTrue(!f.inLoop(() -> flooding.channel().config().isAutoRead()), "the flooding client is not read");

        try (Connection other = f.connect(); Statement st = other.createStatement();
             ResultSet rs = st.executeQuery("select 42")) {
            assertTrue(rs.next());
            assertEquals(42, rs.getInt(1), "another client keeps working");
        }
        flood.close();
        sender.get(10, TimeUnit.SECONDS);
    }

    private static long pendingBytes(PoolerFixture f, ClientConnection c) {
        Long n = f.inLoop(() -> {
            var out = c.channel().unsafe().outboundBuffer();
            return out == null ? 0L : out.totalPendingWriteBytes();
        });
        assertNotNull(n);
        return n;
    }
}

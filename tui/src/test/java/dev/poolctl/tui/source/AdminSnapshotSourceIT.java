package dev.poolctl.tui.source;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.client.AdminClient;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.io.IOException;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The snapshot source against a real pooler's admin console, across the pooler going away and coming back. */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminSnapshotSourceIT {
    static PostgresCluster pg;
    volatile PoolerFixture pooler;

    AdminClient connect() throws IOException, dev.poolctl.client.AdminException {
        return AdminClient.connect(new AdminClient.Target("127.0.0.1", pooler.port(), PostgresCluster.MD5_USER),
                u -> PostgresCluster.MD5_PASSWORD, 5000, 10000);
    }

    PoolerFixture start() {
        return PoolerFixture.start(pg, PoolerFixture.settings().set("admin_users", PostgresCluster.MD5_USER));
    }

    @Test
    void takesEveryListAndReconnectsAfterThePoolerCameBack() throws Exception {
        pooler = start();
        try (AdminSnapshotSource source = new AdminSnapshotSource(this::connect, "it", Clock.systemUTC())) {
            Snapshot s = source.take();
            assertTrue(s.version().startsWith("poolctl "), s.version());
            for (Show show : Show.values()) {
                assertTrue(s.tables().containsKey(show), show + " answered");
            }
            assertTrue(s.table(Show.POOLS).has("cl_waiting"));
            assertTrue(s.table(Show.DATABASES).rowList().stream().anyMatch(r -> "testdb".equals(r.text("name"))));

            pooler.close();
            assertThrows(IOException.class, source::take, "the held connection is gone");
            assertThrows(IOException.class, source::take, "and nothing listens there");

            pooler = start();
            Snapshot again = source.take();
            assertEquals(s.version(), again.version());
            assertTrue(again.monotonicNanos() > s.monotonicNanos());
        } finally {
            pooler.close();
        }
    }
}

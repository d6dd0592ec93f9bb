package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** max_db_connections spans the pools of a database; idle servers of one pool make room for another's clients. */
@ExtendWith(PostgresClusterExtension.class)
class SharedLimitsIT {
    private static PostgresCluster pg;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void idleServerOfAnotherPoolIsEvictedForAWaitingClient() throws Exception {
        try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_db_connections", "2")
                .set("query_wait_timeout", "10"))) {
            // md5_user's pool takes both slots: two transactions at once, then both servers go idle.
            try (Connection a1 = pooler.connect(); Connection a2 = pooler.connect()) {
                a1.setAutoCommit(false);
                a2.setAutoCommit(false);
                try (Statement s1 = a1.createStatement(); Statement s2 = a2.createStatement()) {
                    s1.execute("select 1");
                    s2.execute("select 1");
                }
                a1.commit();
                a2.commit();
                var md5Pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
                assertEquals(2, (int) pooler.inLoop(md5Pool::idleCount), "both servers idle in md5_user's pool");

                // Another user's pool on the same database must still get a server, within query_wait_timeout.
                long start = System.nanoTime();
                try (Connection b = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.CLEARTEXT_USER,
                        PostgresCluster.CLEARTEXT_PASSWORD);
                     Statement st = b.createStatement();
                     ResultSet rs = st.executeQuery("select current_user")) {
                    assertTrue(rs.next());
                    assertEquals(PostgresCluster.CLEARTEXT_USER, rs.getString(1));
                }
                long millis = (System.nanoTime() - start) / 1_000_000;
                assertTrue(millis < 5_000, "served by evicting an idle server, took " + millis + " ms");
                int total = pooler.inLoop(() -> pooler.daemon().poolManagers().stream().flatMap(m -> m.pools().stream())
                        .mapToInt(p -> p.serverCount()).sum());
                assertTrue(total <= 2, "max_db_connections=2 holds over all pools, had " + total);
            }
        }
    }
}

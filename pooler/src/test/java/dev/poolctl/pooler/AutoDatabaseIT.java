package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pools of databases made from the {@code *} entry are removed once unused for autodb_idle_timeout, so clients
 * naming ever new databases cannot grow the pool list for ever; databases with an entry of their own stay.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AutoDatabaseIT {
    private static PostgresCluster pg;

    private static int selectOne(Connection c) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }

    @Test
    void unusedAutoDatabasePoolsAreRemovedAfterAutodbIdleTimeout() throws Exception {
        PoolerFixture.Settings settings = PoolerFixture.settings()
                .set("autodb_idle_timeout", "1")
                .set("server_idle_timeout", "1")
                .database("*", "host=127.0.0.1 port=${port} dbname=" + PostgresCluster.TEST_DB);
        try (PoolerFixture f = PoolerFixture.start(pg, settings)) {
            try (Connection auto = f.connect("autodb_one", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                 Connection named = f.connect()) {
                assertEquals(1, selectOne(auto));
                assertEquals(1, selectOne(named));
                assertNotNull(f.pool("autodb_one", PostgresCluster.MD5_USER), "the auto-database has a pool");
            }
            long t0 = System.nanoTime();
            // The idle server goes after server_idle_timeout, then the unused database after autodb_idle_timeout.
            PoolerFixture.await("the auto-database's pool to be removed", Duration.ofSeconds(15),
                    () -> f.pool("autodb_one", PostgresCluster.MD5_USER) == null);
            long waited = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(waited >= 1_000, "removed only after autodb_idle_timeout, was " + waited + " ms");
            assertNotNull(f.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER),
                    "a database with its own entry keeps its pool");
            try (Connection again = f.connect("autodb_one", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD)) {
                assertEquals(1, selectOne(again), "the auto-database is made again on the next login");
            }
        }
    }
}

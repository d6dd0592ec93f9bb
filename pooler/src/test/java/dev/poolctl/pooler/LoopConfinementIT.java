package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Pool state is unlocked and confined to the pooler's event loop: a change from any other thread fails an
 * assertion at once (the tests run with -ea) instead of racing. On the loop the same calls work.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LoopConfinementIT {
    private static PostgresCluster pg;

    @Test
    void poolStateChangesOffTheEventLoopFailAnAssertion() throws Exception {
        assertTrue(LoopConfinementIT.class.desiredAssertionStatus(), "tests run with -ea");
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings());
             Connection c = f.connect(); Statement st = c.createStatement()) {
            st.execute("select 1");
            PoolManager manager = f.daemon().poolManager();
            Pool pool = f.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);

            assertThrows(AssertionError.class, () -> manager.killClient(-1), "KILL_CLIENT off the loop");
            assertThrows(AssertionError.class, () -> manager.pause(null), "PAUSE off the loop");
            assertThrows(AssertionError.class, manager::janitor, "janitor off the loop");
            assertThrows(AssertionError.class, () -> pool.serveQueue(), "a queue served off the loop");

            assertFalse(f.inLoop(() -> manager.killClient(-1)), "on the loop the call runs (no such client)");
            st.execute("select 1"); // nothing was changed by the refused calls
        }
    }
}

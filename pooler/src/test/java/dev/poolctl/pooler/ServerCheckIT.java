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

/** server_check_query runs before a server is reused, and a checked server then serves the waiting client. */
@ExtendWith(PostgresClusterExtension.class)
class ServerCheckIT {
    private static PostgresCluster pg;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void checkRunsBeforeEveryReuseWhenDelayIsZeroAndClientsAreServed() throws Exception {
        pg.query("create table if not exists server_checks(at timestamptz default now());"
                + " grant all on server_checks to public; truncate server_checks");
        // server_check_delay = 0: PgBouncer checks on every reuse. The check writes a row, so it is observable.
        try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "1")
                .set("server_check_delay", "0")
                .set("server_check_query", "insert into server_checks default values"));
             Connection c = pooler.connect();
             Statement st = c.createStatement()) {
            long before = Long.parseLong(pg.queryValue("select count(*) from server_checks"));
            for (int i = 1; i <= 5; i++) {
                try (ResultSet rs = st.executeQuery("select " + i)) {
                    assertTrue(rs.next());
                    assertEquals(i, rs.getInt(1));
                }
            }
            // The login already opened the one server: each of the 5 transactions reuses it, checked once each.
            long after = Long.parseLong(pg.queryValue("select count(*) from server_checks"));
            assertEquals(5, after - before);
        }
    }
}

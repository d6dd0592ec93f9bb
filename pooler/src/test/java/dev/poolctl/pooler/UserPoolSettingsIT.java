package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** A [users] entry's pool settings reach the pool, as PgBouncer applies them (user, then database, then global). */
@ExtendWith(PostgresClusterExtension.class)
class UserPoolSettingsIT {
    private static PostgresCluster pg;

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void usersReservePoolSizeOpensReserveServers() throws Exception {
        try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("reserve_pool_size", "0")
                .set("reserve_pool_timeout", "1")
                .user(PostgresCluster.MD5_USER, "pool_size=1 reserve_pool_size=2"))) {
            ExecutorService threads = Executors.newFixedThreadPool(3);
            List<Connection> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    clients.add(pooler.connect());
                }
                List<Future<?>> running = new ArrayList<>();
                for (Connection c : clients) {
                    running.add(threads.submit(() -> {
                        try (Statement st = c.createStatement()) {
                            st.execute("select pg_sleep(4)");
                        }
                        return null;
                    }));
                }
                // pool_size=1 serves one; after reserve_pool_timeout the user's reserve of 2 serves the others.
                Pool pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
                PoolerFixture.await("3 servers: 1 + the [users] reserve of 2", Duration.ofSeconds(4),
                        () -> pooler.inLoop(pool::activeCount) == 3);
                for (Future<?> f : running) {
                    f.get(30, TimeUnit.SECONDS);
                }
                assertEquals(3, (int) pooler.inLoop(pool::serverCount), "no more than pool_size + reserve");
                assertEquals(2, pooler.log().split("taking connection from reserve_pool", -1).length - 1,
                        "PgBouncer's warning once per reserve server: " + pooler.log());
            } finally {
                for (Connection c : clients) {
                    c.close();
                }
                threads.shutdownNow();
            }
        }
    }
}

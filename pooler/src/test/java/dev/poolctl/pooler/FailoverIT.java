package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.AckedWriter;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A primary and its streaming standby behind one {@code host=127.0.0.1,127.0.0.2} entry with
 * {@code target_session_attrs=read-write}: the primary stops, the standby is promoted, and a client that keeps
 * writing through the pooler goes on after a bounded gap, on the same pooler connection. Its own two clusters:
 * the shared one must not be stopped.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class FailoverIT {
    private static final String STANDBY_HOST = "127.0.0.2";

    @Test
    void writesThroughReadWriteFollowThePromotedStandby() throws Exception {
        try (PostgresCluster primary = PostgresCluster.start();
             PostgresCluster standby = primary.startStandby(STANDBY_HOST)) {
            primary.psqlAsSuperuser(PostgresCluster.TEST_DB,
                    "CREATE TABLE failover_log (id int PRIMARY KEY); GRANT ALL ON failover_log TO PUBLIC;")
                    .assertSuccess("create failover_log");
            PoolerFixture.await("the standby to replay the table", Duration.ofSeconds(30),
                    () -> "t".equals(standby.queryValue("SELECT to_regclass('failover_log') IS NOT NULL")));
            assertEquals("t", standby.queryValue("SELECT pg_is_in_recovery()"));

            try (PoolerFixture pooler = PoolerFixture.start(primary, PoolerFixture.settings()
                    .database("ha", "host=127.0.0.1," + STANDBY_HOST + " port=${port} dbname=testdb"
                            + " target_session_attrs=read-write")
                    .set("server_login_retry", "15")
                    .set("stats_users", PostgresCluster.MD5_USER))) {
                // Four servers at once: round-robin sends every other login to the standby, which read-write turns
                // down for the next host; every server ends up on the primary.
                List<Thread> sleepers = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    Thread sleeper = new Thread(() -> {
                        try (Connection c = pooler.connect("ha", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                             java.sql.Statement st = c.createStatement()) {
                            st.execute("SELECT pg_sleep(0.5)");
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    sleeper.start();
                    sleepers.add(sleeper);
                }
                for (Thread sleeper : sleepers) {
                    sleeper.join(30_000);
                }
                var pool = pooler.pool("ha", PostgresCluster.MD5_USER);
                List<String> before = pooler.inLoop(() -> pool.servers().stream().map(s -> s.host()).toList());
                assertEquals(List.of("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"), before,
                        "every server on the primary");
                assertTrue(pooler.log().contains("server is a standby, not read-write (target_session_attrs);"
                        + " trying the next host"), pooler.log());
                assertEquals("127.0.0.1 read-write", currentTarget(pooler), "SHOW DATABASES: the primary");

                AckedWriter writer = new AckedWriter("failover_log", 0, () -> pooler.connect("ha", PostgresCluster.MD5_USER,
                        PostgresCluster.MD5_PASSWORD));
                Thread t = new Thread(writer, "failover-writer");
                t.start();
                PoolerFixture.await("writes on the primary", Duration.ofSeconds(10), () -> writer.ackedCount() > 20);

                long stoppedAt = System.nanoTime();
                primary.stopServer("fast");
                standby.promote();
                long promotedAt = System.nanoTime();
                int acksBefore = writer.ackedCount();
                try {
                    PoolerFixture.await("writes on the promoted standby", Duration.ofSeconds(30),
                            () -> writer.ackedCount() > acksBefore + 20);
                } catch (AssertionError e) {
                    throw new AssertionError(e.getMessage() + "; pooler log:\n" + pooler.log(), e);
                }
                writer.stop.set(true);
                t.join(30_000);

                long gapMillis = writer.longestGapNanos.get() / 1_000_000;
                System.out.printf("[FailoverIT] primary stopped and standby promoted in %d ms; longest gap between"
                                + " acknowledged writes %d ms; %d writes acknowledged, %d failed, %d reconnects%n",
                        (promotedAt - stoppedAt) / 1_000_000, gapMillis, writer.ackedCount(), writer.failures.get(),
                        writer.reconnects.get());
                assertTrue(gapMillis < 5_000, "writes resumed within 5 s: gap " + gapMillis + " ms");

                Set<Integer> rows = new TreeSet<>();
                for (List<String> row : standby.query(PostgresCluster.TEST_DB, "SELECT id FROM failover_log")) {
                    rows.add(Integer.parseInt(row.get(0)));
                }
                Set<Integer> acked = new TreeSet<>(writer.ackedSnapshot());
                acked.removeAll(rows);
                assertTrue(acked.isEmpty(), "every acknowledged write is in the new primary; missing: " + acked);

                List<String> hosts = pooler.inLoop(() -> pool.servers().stream().map(s -> s.host()).toList());
                assertTrue(!hosts.isEmpty() && hosts.stream().allMatch(STANDBY_HOST::equals),
                        "the pool's servers are on the promoted standby: " + hosts);
                assertEquals(STANDBY_HOST + " read-write", currentTarget(pooler), "SHOW DATABASES: the new primary");
            }
        }
    }

    /** SHOW DATABASES for entry "ha": current_host and target_session_attrs. */
    private static String currentTarget(PoolerFixture pooler) throws Exception {
        try (java.sql.Connection console = pooler.connect("pgbouncer", PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD, "preferQueryMode=simple");
             java.sql.Statement st = console.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SHOW DATABASES")) {
            while (rs.next()) {
                if ("ha".equals(rs.getString("name"))) {
                    return rs.getString("current_host") + " " + rs.getString("target_session_attrs");
                }
            }
        }
        throw new AssertionError("no row for database ha");
    }
}

package dev.poolctl.pooler.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/** Small JDBC helpers the ITs share. */
public final class Queries {
    private Queries() {}

    /** The first column of the first row of {@code sql}; fails the test when there is no row. */
    public static String single(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), "no row from " + sql);
            return rs.getString(1);
        }
    }

    /**
     * Starts {@code sql} (a long query, e.g. {@code select pg_sleep(30)}) on {@code st} in the background and returns
     * once PostgreSQL runs it (pg_stat_activity): a cancel sent earlier would cancel nothing. The future gives the
     * query's SQLException, or null when it ended without one.
     */
    public static CompletableFuture<SQLException> running(Statement st, PostgresCluster pg, String sql) {
        CompletableFuture<SQLException> done = CompletableFuture.supplyAsync(() -> {
            try {
                st.execute(sql);
                return null;
            } catch (SQLException e) {
                return e;
            }
        });
        PoolerFixture.await("running in PostgreSQL: " + sql, Duration.ofSeconds(10), () -> !"0".equals(pg.queryValue(
                "select count(*) from pg_stat_activity where state = 'active' and query = '" + sql + "'")));
        return done;
    }

    /** Milliseconds since {@code t0}, a {@link System#nanoTime} reading. */
    public static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}

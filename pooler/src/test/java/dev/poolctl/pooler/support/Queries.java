package dev.poolctl.pooler.support;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

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

    /** Milliseconds since {@code t0}, a {@link System#nanoTime} reading. */
    public static long millisSince(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }
}

package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Hazard counters (issue 6, part 3): what silently misbehaves in transaction pooling is counted per pool in
 * {@code SHOW HAZARDS} and logged once per client and kind; nothing is counted in session mode. Each test uses
 * its own database entry, so its pool's counters start at zero.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HazardsIT {
    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final List<String> COLUMNS =
            List.of("database", "user", "prepare", "session_set", "listen", "advisory_lock", "temp_table", "with_hold");
    private static PostgresCluster pg;
    private static PoolerFixture pooler;

    @BeforeAll
    static void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER)
                .database("hz_jdbc", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1")
                .database("hz_safe", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1")
                .database("hz_psql", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1")
                .database("hz_stmt", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1 pool_mode=statement")
                .database("hz_session", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1 pool_mode=session"));
    }

    @AfterAll
    static void stop() {
        pooler.close();
    }

    @Test
    void parsesAreScannedWithoutStatementRewriting() throws Exception {
        // max_prepared_statements = 0: Parse passes unchanged, and is still looked at for hazards.
        try (PoolerFixture off = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_prepared_statements", "0")
                .set("admin_users", PostgresCluster.MD5_USER)
                .database("hz_off", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1"));
                Connection c = off.connect("hz_off", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                        "prepareThreshold=1")) {
            for (int i = 0; i < 2; i++) {
                try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT pg_advisory_lock(?)")) {
                    ps.setInt(1, 424245);
                    ps.execute();
                }
                exec(c, "SELECT pg_advisory_unlock(424245)");
            }
            try (Connection admin = off.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=simple");
                    Statement st = admin.createStatement();
                    ResultSet rs = st.executeQuery("SHOW HAZARDS")) {
                assertTrue(rs.next());
                assertEquals("hz_off", rs.getString("database"));
                // Once: the second run reuses pgjdbc's named statement (Bind only), whose text is not sent again.
                assertEquals(1, rs.getLong("advisory_lock"));
            }
        }
    }

    private static Connection connect(String db) throws SQLException {
        return pooler.connect(db, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
    }

    private static void exec(Connection c, String... sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String s : sql) {
                st.execute(s);
            }
        }
    }

    /** The SHOW HAZARDS row of {@code db} (user md5_user), by column; checks the column names and order. */
    private static Map<String, Long> hazards(String db) throws SQLException {
        try (Connection admin = pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple");
                Statement st = admin.createStatement();
                ResultSet rs = st.executeQuery("SHOW HAZARDS")) {
            ResultSetMetaData md = rs.getMetaData();
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                names.add(md.getColumnName(i));
            }
            assertEquals(COLUMNS, names);
            while (rs.next()) {
                if (rs.getString("database").equals(db) && rs.getString("user").equals(PostgresCluster.MD5_USER)) {
                    Map<String, Long> row = new LinkedHashMap<>();
                    for (String c : COLUMNS.subList(2, COLUMNS.size())) {
                        row.put(c, rs.getLong(c));
                    }
                    return row;
                }
            }
        }
        throw new AssertionError("no SHOW HAZARDS row for " + db);
    }

    private static Map<String, Long> counts(long prepare, long sessionSet, long listen, long advisory, long temp,
            long hold) {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("prepare", prepare);
        m.put("session_set", sessionSet);
        m.put("listen", listen);
        m.put("advisory_lock", advisory);
        m.put("temp_table", temp);
        m.put("with_hold", hold);
        return m;
    }

    /** Log lines for {@code db} that name {@code statement} as a hazard, by client id. */
    private static List<String> hazardLines(String db, String statement, String mode) {
        Pattern p = Pattern.compile("(C-\\d+): " + db + "/" + PostgresCluster.MD5_USER + "@\\S+ "
                + Pattern.quote(statement) + " in " + mode
                + " pooling mode: the next transaction may run on another server");
        List<String> clients = new ArrayList<>();
        Matcher m = p.matcher(pooler.log());
        while (m.find()) {
            clients.add(m.group(1));
        }
        return clients;
    }

    @Test
    void eachHazardIsCountedAndLoggedOncePerClient() throws Exception {
        try (Connection c = connect("hz_jdbc")) {
            exec(c, "PREPARE hz_p AS SELECT 1", "LISTEN hz_chan", "LISTEN hz_chan2",
                    "SELECT pg_advisory_lock(424242)", "SELECT pg_advisory_unlock(424242)",
                    "CREATE TEMP TABLE hz_t (a int)", "SET statement_timeout = 0");
            c.setAutoCommit(false);
            exec(c, "DECLARE hz_c CURSOR WITH HOLD FOR SELECT 1");
            c.commit();
            c.setAutoCommit(true);
            exec(c, "CLOSE hz_c");
            assertEquals(counts(1, 1, 2, 1, 1, 1), hazards("hz_jdbc"));
            pooler.awaitLog("LISTEN in transaction pooling mode", WAIT);
            pooler.awaitLog("DECLARE \\.\\.\\. WITH HOLD in transaction pooling mode", WAIT);
            for (String statement : List.of("PREPARE", "SET", "LISTEN", "pg_advisory_lock", "CREATE TEMP",
                    "DECLARE ... WITH HOLD")) {
                assertEquals(1, hazardLines("hz_jdbc", statement, "transaction").size(), statement + "\n" + pooler.log());
            }
        }
        try (Connection second = connect("hz_jdbc")) {
            exec(second, "LISTEN hz_chan");
            List<String> clients = hazardLines("hz_jdbc", "LISTEN", "transaction");
            assertEquals(2, clients.size(), "one line per client: " + clients);
            assertTrue(!clients.get(0).equals(clients.get(1)), clients.toString());
        }
        assertEquals(counts(1, 1, 3, 1, 1, 1), hazards("hz_jdbc"));
    }

    @Test
    void whatTheServerCarriesOrTheTransactionEndsIsNotCounted() throws Exception {
        try (Connection c = connect("hz_safe")) {
            exec(c, "SET search_path TO public", "SET IntervalStyle TO postgres", "SET TIME ZONE 'UTC'",
                    "SET application_name = 'hz'", "SELECT pg_advisory_xact_lock(424243)",
                    "SELECT 'LISTEN x; PREPARE y'", "/* LISTEN */ SELECT 1 -- pg_advisory_lock(1)");
            c.setAutoCommit(false);
            exec(c, "SET work_mem = '8MB'"); // sent with pgjdbc's BEGIN: inside the block
            exec(c, "SET LOCAL statement_timeout = 0", "SET lock_timeout = 0");
            c.commit();
            c.setAutoCommit(true);
        }
        assertEquals(counts(0, 0, 0, 0, 0, 0), hazards("hz_safe"));
    }

    @Test
    void psqlSimpleQueriesAreScannedToo() throws Exception {
        Processes.Result r = pooler.run("psql", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, WAIT,
                "-X", "-v", "ON_ERROR_STOP=1", "-d", "hz_psql",
                "-c", "SELECT 1; LISTEN hz_psql_chan",
                "-c", "BEGIN; SET work_mem = '8MB'; COMMIT",
                "-c", "set Session work_mem = '4MB'",
                "-c", "CREATE TEMPORARY TABLE hz_psql_t (a int)");
        assertEquals(0, r.exitCode(), r.stdout() + r.stderr());
        assertEquals(counts(0, 1, 1, 0, 1, 0), hazards("hz_psql"));
        assertEquals(1, hazardLines("hz_psql", "SET", "transaction").size(), pooler.log());
    }

    @Test
    void statementModeCountsAndSessionModeDoesNot() throws Exception {
        for (String db : List.of("hz_stmt", "hz_session")) {
            try (Connection c = connect(db)) {
                exec(c, "LISTEN hz_mode", "SELECT pg_advisory_lock(424244)", "SELECT pg_advisory_unlock(424244)");
            }
        }
        assertEquals(counts(0, 0, 1, 1, 0, 0), hazards("hz_stmt"));
        assertEquals(1, hazardLines("hz_stmt", "LISTEN", "statement").size(), pooler.log());
        assertEquals(counts(0, 0, 0, 0, 0, 0), hazards("hz_session"));
        assertEquals(0, hazardLines("hz_session", "LISTEN", "session").size(), pooler.log());
    }
}

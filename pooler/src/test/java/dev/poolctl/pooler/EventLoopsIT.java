package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolClient;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * event_loops = 2: pools pinned to loops, clients moved to their pool's loop, and what stays global — limits,
 * cancel keys, one console that shows and controls every loop.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class EventLoopsIT {
    private static final Duration AWAIT = Duration.ofSeconds(20);
    private static PostgresCluster pg;

    /** Aliases of testdb: the first two that live on different loops are used. */
    private static PoolerFixture.Settings twoLoops() {
        PoolerFixture.Settings s = PoolerFixture.settings()
                .set("event_loops", "2")
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("query_wait_timeout", "30");
        for (int i = 0; i < 8; i++) {
            s.database("loopdb" + i, "host=127.0.0.1 port=${port} dbname=testdb");
        }
        return s;
    }

    /** Database names owned by loop 0 and loop 1. */
    private static String[] dbPerLoop(PoolerFixture f) {
        List<PoolManager> managers = f.daemon().poolManagers();
        assertEquals(2, managers.size(), "two event loops");
        GlobalState global = managers.get(0).global();
        String[] found = new String[2];
        for (int i = 0; i < 8; i++) {
            String db = "loopdb" + i;
            int loop = global.managerFor(db).index();
            if (found[loop] == null) {
                found[loop] = db;
            }
        }
        assertTrue(found[0] != null && found[1] != null, "aliases on both loops");
        return found;
    }

    private static Connection connect(PoolerFixture f, String db) throws SQLException {
        return f.connect(db, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
    }

    private static Connection admin(PoolerFixture f) throws SQLException {
        return f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "preferQueryMode=simple");
    }

    private static int selectInt(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getInt(1);
        }
    }

    /** SHOW POOLS column {@code column} for {@code db}, or -1 when the pool is not listed. */
    private static int poolsColumn(Connection admin, String db, String column) throws SQLException {
        try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW POOLS")) {
            while (rs.next()) {
                if (rs.getString("database").equals(db)) {
                    return rs.getInt(column);
                }
            }
        }
        return -1;
    }

    private static Map<String, Integer> lists(Connection admin) throws SQLException {
        Map<String, Integer> out = new HashMap<>();
        try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery("SHOW LISTS")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getInt(2));
            }
        }
        return out;
    }

    private static int rows(Connection admin, String sql) throws SQLException {
        int n = 0;
        try (Statement st = admin.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                n++;
            }
        }
        return n;
    }

    @Test
    void clientsMoveToTheirPoolsLoopAndOneConsoleShowsEveryLoop() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, twoLoops())) {
            String[] db = dbPerLoop(f);
            List<Connection> clients = new ArrayList<>();
            try (Connection admin = admin(f)) {
                for (int i = 0; i < 6; i++) {
                    Connection c = connect(f, db[i % 2]);
                    clients.add(c);
                    assertEquals(i, selectInt(c, "select " + i));
                }
                // every client sits on the loop of its pool: its channel is registered there
                f.inLoop(() -> {
                    for (PoolManager m : f.daemon().poolManagers()) {
                        for (Pool p : m.pools()) {
                            assertEquals(m, m.global().managerFor(p.key().database()), "pool on its database's loop");
                            for (PoolClient c : p.clients()) {
                                assertTrue(((ClientConnection) c).channel().eventLoop() == m.loop(),
                                        c.prefix() + " moved to its pool's loop");
                            }
                        }
                    }
                    return null;
                });
                assertTrue(poolsColumn(admin, db[0], "cl_active") >= 0, "SHOW POOLS lists the first loop's pool");
                assertTrue(poolsColumn(admin, db[1], "cl_active") >= 0, "and the second loop's");
                assertEquals(1, poolsColumn(admin, "pgbouncer", "cl_active"), "one console client, wherever it is");
                Map<String, Integer> lists = lists(admin);
                assertEquals(7, lists.get("used_clients"), "six clients and the console, counted once");
                assertEquals(3, lists.get("pools"), "two pools and the console's");
                assertEquals(9 + 1, lists.get("databases"), "testdb, eight aliases and pgbouncer, not once per loop");
                assertEquals(7, rows(admin, "SHOW CLIENTS"), "clients of both loops and the console");
                assertTrue(rows(admin, "SHOW SERVERS") >= 2, "servers of both loops");
                assertEquals(3, rows(admin, "SHOW STATS_TOTALS"),
                        "one row per database that has pools, the console's (pgbouncer) once for both loops");
            } finally {
                for (Connection c : clients) {
                    c.close();
                }
            }
        }
    }

    /** Which loop each console client is on (console clients stay on the loop that accepted them). */
    private static List<Integer> consoleLoops(PoolerFixture f) {
        return f.inLoop(() -> {
            List<Integer> loops = new ArrayList<>();
            for (PoolManager m : f.daemon().poolManagers()) {
                m.adminClients().forEach(c -> loops.add(m.index()));
            }
            return loops;
        });
    }

    @Test
    void withOneDatabaseEveryConnectionIsAcceptedOnItsLoopAndWithSeveralInTurn() throws Exception {
        PoolerFixture.Settings one = PoolerFixture.settings().set("event_loops", "2")
                .set("admin_users", PostgresCluster.MD5_USER);
        try (PoolerFixture f = PoolerFixture.start(pg, one);
             Connection a = admin(f); Connection b = admin(f); Connection c = admin(f)) {
            int home = f.daemon().poolManagers().get(0).global().managerFor(PostgresCluster.TEST_DB).index();
            assertEquals(List.of(home, home, home), consoleLoops(f), "no client would have to move after its login");
        }
        try (PoolerFixture f = PoolerFixture.start(pg, twoLoops()); Connection a = admin(f); Connection b = admin(f)) {
            List<Integer> loops = consoleLoops(f);
            assertEquals(2, loops.size());
            assertNotEquals(loops.get(0), loops.get(1), "several databases, no login yet: the loops in turn");
            String[] db = dbPerLoop(f);
            for (int loop : new int[] {1, 0}) {
                try (Connection client = connect(f, db[loop]); Connection c = admin(f); Connection d = admin(f)) {
                    List<Integer> now = consoleLoops(f); // a and b are on one loop each
                    assertEquals(3, java.util.Collections.frequency(now, loop),
                            "after a login for " + db[loop] + ", new connections go where it went: " + now);
                }
            }
        }
    }

    @Test
    void maxClientConnCountsEveryLoop() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, twoLoops().set("max_client_conn", "3"))) {
            String[] db = dbPerLoop(f);
            try (Connection a = connect(f, db[0]); Connection b = connect(f, db[1]); Connection c = connect(f, db[0])) {
                SQLException e = assertThrows(SQLException.class, () -> connect(f, db[1]).close());
                assertTrue(e.getMessage().contains("max_client_conn"), e.getMessage());
            }
            PoolerFixture.await("the three slots to be given back", AWAIT,
                    () -> f.inLoop(() -> f.daemon().poolManager().clientCount()) == 0);
            try (Connection again = connect(f, db[1])) {
                assertEquals(1, selectInt(again, "select 1"), "slots are given back on close");
            }
        }
    }

    @Test
    void maxUserConnectionsSpansLoopsAndAnIdleServerOnTheOtherLoopMakesRoom() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, twoLoops().set("max_user_connections", "1"))) {
            String[] db = dbPerLoop(f);
            try (Connection admin = admin(f); Connection a = connect(f, db[0]); Connection b = connect(f, db[1])) {
                a.setAutoCommit(false);
                assertEquals(1, selectInt(a, "select 1")); // holds the user's one server, on loop 0
                CompletableFuture<Integer> waiting = CompletableFuture.supplyAsync(() -> {
                    try {
                        return selectInt(b, "select 2");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                PoolerFixture.await("the other loop's client to queue", AWAIT,
                        () -> {
                            try {
                                return poolsColumn(admin, db[1], "cl_waiting") == 1;
                            } catch (SQLException e) {
                                throw new IllegalStateException(e);
                            }
                        });
                assertEquals(1, rows(admin, "SHOW SERVERS"), "max_user_connections = 1 over both loops");
                assertFalse(waiting.isDone());
                a.commit(); // the server goes idle on loop 0 and is evicted for loop 1's waiter
                assertEquals(2, waiting.get(20, TimeUnit.SECONDS));
                assertEquals(1, rows(admin, "SHOW SERVERS"), "still one server");
            }
        }
    }

    @Test
    void cancelRequestsReachClientsOnEitherLoop() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, twoLoops())) {
            for (String db : dbPerLoop(f)) {
                for (int round = 0; round < 2; round++) { // the cancel connection lands on each loop in turn
                    try (Connection c = connect(f, db); Statement st = c.createStatement()) {
                        CompletableFuture<SQLException> sleeping =
                                dev.poolctl.pooler.support.Queries.running(st, pg, "select pg_sleep(30)");
                        st.cancel();
                        SQLException e = sleeping.get(10, TimeUnit.SECONDS);
                        assertTrue(e != null && "57014".equals(e.getSQLState()), db + ": canceled, got " + e);
                        assertEquals(1, selectInt(c, "select 1"), "the session goes on");
                    }
                }
            }
        }
    }

    @Test
    void pauseIsAnsweredOnceEveryLoopHasReleasedItsServers() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, twoLoops())) {
            String[] db = dbPerLoop(f);
            try (Connection admin = admin(f); Connection a = connect(f, db[0]); Connection b = connect(f, db[1])) {
                a.setAutoCommit(false);
                b.setAutoCommit(false);
                selectInt(a, "select 1");
                selectInt(b, "select 1");
                CompletableFuture<Void> pause = CompletableFuture.runAsync(() -> {
                    try (Statement st = admin.createStatement()) {
                        st.execute("PAUSE");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                a.commit();
                Thread.sleep(300); // a condition that must stay false: PAUSE waits for loop 1's transaction
                assertFalse(pause.isDone(), "loop 1 still has a server in a transaction");
                b.commit();
                pause.get(20, TimeUnit.SECONDS);
                try (Connection admin2 = admin(f); Statement st = admin2.createStatement()) {
                    st.execute("RESUME");
                }
                assertEquals(3, selectInt(b, "select 3"), "served again after RESUME");
                assertNotEquals(-1, poolsColumn(admin, db[1], "sv_idle"));
            }
        }
    }
}

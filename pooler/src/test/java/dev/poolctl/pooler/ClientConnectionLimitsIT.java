package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.ClientCounts;
import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.RawClient;
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
 * max_db_client_connections and max_user_client_connections as PgBouncer 1.25.2 applies them (client.c
 * check_db_connection_count, check_user_connection_count): a client counts from its StartupMessage until it closes,
 * over every event loop; one too many gets {@code client connections exceeded (<key>)} (08P01) at once; the console's
 * admin_users pass; SHOW DATABASES and SHOW USERS show the limits and counts.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ClientConnectionLimitsIT {
    private static final String MD5 = PostgresCluster.MD5_USER;
    private static final String MD5_PW = PostgresCluster.MD5_PASSWORD;
    /** The console user in most tests: a user none of the limits under test is about. */
    private static final String ADMIN = PostgresCluster.CLEARTEXT_USER;
    private static PostgresCluster pg;

    private static Connection console(PoolerFixture f) throws SQLException {
        return f.connect("pgbouncer", ADMIN, PostgresCluster.CLEARTEXT_PASSWORD, "preferQueryMode=simple");
    }

    /**
     * The row of {@code show} whose first column is {@code name}, by column name. Read on a console the test keeps
     * open, so that the counts under test do not depend on when the pooler sees an earlier console go.
     */
    private static Map<String, String> row(Connection console, String show, String name) throws SQLException {
        try (Statement st = console.createStatement(); ResultSet rs = st.executeQuery(show)) {
            while (rs.next()) {
                if (name.equals(rs.getString(1))) {
                    Map<String, String> row = new HashMap<>();
                    for (int i = 1; i <= rs.getMetaData().getColumnCount(); i++) {
                        row.put(rs.getMetaData().getColumnName(i), rs.getString(i));
                    }
                    return row;
                }
            }
        }
        throw new AssertionError(show + " has no row " + name);
    }

    private static GlobalState global(PoolerFixture f) {
        return f.daemon().poolManager().global();
    }

    /** A login that must be refused for {@code key}: at once, with PgBouncer's words and SQLSTATE. */
    private static void assertRefused(PoolerFixture f, String key, String db, String user, String password) {
        SQLException e = assertTimeoutPreemptively(Duration.ofSeconds(5),
                () -> assertThrows(SQLException.class, () -> f.connect(db, user, password).close()),
                "a refused client gets its error at once; nothing waits");
        assertTrue(e.getMessage().contains("client connections exceeded (" + key + ")"), e.getMessage());
        assertEquals("08P01", e.getSQLState(), e.getMessage());
    }

    private static void awaitCount(String what, ClientCounts counts, String name, int n) {
        PoolerFixture.await(what + " " + name + " counted " + n, Duration.ofSeconds(5), () -> counts.count(name) == n);
    }

    @Test
    void aDatabaseEntryBeatsTheGeneralLimitAndTheNextClientIsRefusedAtOnce() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_db_client_connections", "5").set("admin_users", ADMIN).set("log_disconnections", "1")
                .database("limited", "host=127.0.0.1 port=${port} dbname=testdb max_db_client_connections=2"));
             Connection admin = console(f)) {
            List<Connection> open = new ArrayList<>();
            try {
                for (int i = 0; i < 2; i++) {
                    open.add(f.connect("limited", MD5, MD5_PW));
                }
                Map<String, String> limited = row(admin, "SHOW DATABASES", "limited");
                assertEquals("2", limited.get("max_client_connections"), limited.toString());
                assertEquals("2", limited.get("current_client_connections"), limited.toString());
                Map<String, String> testdb = row(admin, "SHOW DATABASES", "testdb");
                assertEquals("5", testdb.get("max_client_connections"), "no entry of its own: the general limit");
                assertEquals("0", testdb.get("current_client_connections"));
                for (int i = 0; i < 2; i++) {
                    assertRefused(f, "max_db_client_connections", "limited", MD5, MD5_PW);
                }
                f.awaitLog("closing because: client connections exceeded \\(max_db_client_connections\\) \\(age=0s\\)",
                        Duration.ofSeconds(5));
                try (Connection other = f.connect("testdb", MD5, MD5_PW)) {
                    assertTrue(other.isValid(5), "another database has its own count");
                }
                open.remove(0).close();
                awaitCount("database", global(f).databaseClients(), "limited", 1);
                try (Connection again = f.connect("limited", MD5, MD5_PW);
                     Statement st = again.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
                    assertTrue(rs.next(), "the place given back at close serves the next client");
                }
                awaitCount("database", global(f).databaseClients(), "limited", 1);
                try (Statement st = admin.createStatement()) {
                    st.execute("KILL limited");
                }
                awaitCount("database", global(f).databaseClients(), "limited", 0); // a killed client's place too
            } finally {
                for (Connection c : open) {
                    c.close();
                }
            }
            awaitCount("database", global(f).databaseClients(), "limited", 0);
        }
    }

    /** Clients of one user on several databases and event loops share one count; a [users] entry beats the general limit. */
    @Test
    void aUserIsCountedOverEveryDatabaseAndLoop() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("event_loops", "3").set("max_user_client_connections", "3").set("admin_users", ADMIN)
                .database("db2", "host=127.0.0.1 port=${port} dbname=testdb")
                .database("db3", "host=127.0.0.1 port=${port} dbname=testdb")
                .user(PostgresCluster.SCRAM_USER, "max_user_client_connections=1"));
             Connection admin = console(f)) {
            try (Connection a = f.connect("testdb", MD5, MD5_PW); Connection b = f.connect("db2", MD5, MD5_PW);
                 Connection c = f.connect("db3", MD5, MD5_PW)) {
                Map<String, String> md5 = row(admin, "SHOW USERS", MD5);
                assertEquals("3", md5.get("max_user_client_connections"), md5.toString());
                assertEquals("3", md5.get("current_client_connections"), "one count over the loops, not one per loop");
                assertRefused(f, "max_user_client_connections", "db2", MD5, MD5_PW);
                assertEquals(3, global(f).userClients().count(MD5), "the refused client is not counted");
                assertEquals(1, global(f).databaseClients().count("db2"),
                        "nor kept counted for its database: PgBouncer's disconnect_client gives that back too");
                try (Connection s = f.connect("testdb", PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD)) {
                    assertTrue(s.isValid(5));
                    Map<String, String> scram = row(admin, "SHOW USERS", PostgresCluster.SCRAM_USER);
                    assertEquals("1", scram.get("max_user_client_connections"), "its [users] entry beats the general 3");
                    assertEquals("1", scram.get("current_client_connections"));
                    assertRefused(f, "max_user_client_connections", "db3", PostgresCluster.SCRAM_USER,
                            PostgresCluster.SCRAM_PASSWORD);
                }
            }
            awaitCount("user", global(f).userClients(), MD5, 0);
            awaitCount("user", global(f).userClients(), PostgresCluster.SCRAM_USER, 0);
        }
    }

    /**
     * A client that closes and at once connects again fits a limit of 1 each time, also when its two connections
     * are on different event loops: its place is given back when its Terminate is read. (That a refusal on one loop
     * is decided only after the other loops have read their sockets, LoopBarrier, narrows a race this test cannot
     * force: the Terminate read late on a loop that did not get the CPU.)
     */
    @Test
    void aClientThatClosesAndReconnectsAtOnceFindsItsPlaceOnAnyLoop() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("event_loops", "4")
                .set("max_db_client_connections", "1").set("max_user_client_connections", "1"))) {
            for (int i = 0; i < 40; i++) {
                try (Connection c = f.connect("testdb", MD5, MD5_PW); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("select " + i)) {
                    assertTrue(rs.next(), "connection " + i);
                    assertEquals(i, rs.getInt(1));
                }
            }
        }
    }

    /** PgBouncer counts at set_pool, before the password: a client still logging in holds its place. */
    @Test
    void aClientLoggingInCountsAndAFailedLoginGivesItsPlaceBack() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", ADMIN)
                .database("limited", "host=127.0.0.1 port=${port} dbname=testdb max_db_client_connections=1"));
             Connection admin = console(f)) {
            try (RawClient raw = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
                raw.send(RawClient.startupPacket(MD5, "limited"));
                assertEquals('R', raw.read().type(), "asked for its password");
                assertEquals("1", row(admin, "SHOW DATABASES", "limited").get("current_client_connections"));
                assertRefused(f, "max_db_client_connections", "limited", PostgresCluster.SCRAM_USER,
                        PostgresCluster.SCRAM_PASSWORD);
            }
            awaitCount("database", global(f).databaseClients(), "limited", 0);
            SQLException wrong = assertThrows(SQLException.class, () -> f.connect("limited", MD5, "wrong").close());
            assertTrue(wrong.getMessage().contains("password authentication failed"), wrong.getMessage());
            awaitCount("database", global(f).databaseClients(), "limited", 0);
            try (Connection c = f.connect("limited", MD5, MD5_PW)) {
                assertTrue(c.isValid(5), "failed logins left no count behind");
            }
        }
    }

    /** A CancelRequest is no login (PgBouncer never calls set_pool for it): it works with the database full. */
    @Test
    void aCancelRequestIsNotCountedNorRefused() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_db_client_connections", "1").set("max_user_client_connections", "1"));
             Connection c = f.connect("testdb", MD5, MD5_PW); Statement st = c.createStatement()) {
            CompletableFuture<SQLException> sleeping =
                    dev.poolctl.pooler.support.Queries.running(st, pg, "select pg_sleep(30)");
            st.cancel();
            SQLException e = sleeping.get(10, TimeUnit.SECONDS);
            assertEquals("57014", e == null ? null : e.getSQLState(), "cancelled by the server");
            assertEquals(1, global(f).databaseClients().count("testdb"));
        }
    }

    /** The console: admin_users pass the limits (still counted), stats_users do not (PgBouncer's test_limits). */
    @Test
    void adminUsersPassTheConsoleLimitStatsUsersDoNot() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("max_db_client_connections", "1").set("max_user_client_connections", "1")
                .set("admin_users", ADMIN).set("stats_users", MD5));
             Connection first = console(f); Connection second = console(f)) {
            Map<String, String> pgbouncer = row(first, "SHOW DATABASES", "pgbouncer");
            assertEquals("1", pgbouncer.get("max_client_connections"), pgbouncer.toString());
            assertEquals("2", pgbouncer.get("current_client_connections"), "two admins, over the limit of 1");
            assertEquals("2", row(second, "SHOW USERS", ADMIN).get("current_client_connections"));
            assertRefused(f, "max_db_client_connections", "pgbouncer", MD5, MD5_PW);
            first.close();
            second.close();
            awaitCount("database", global(f).databaseClients(), "pgbouncer", 0);
            try (Connection stats = f.connect("pgbouncer", MD5, MD5_PW, "preferQueryMode=simple");
                 Statement st = stats.createStatement(); ResultSet rs = st.executeQuery("SHOW VERSION")) {
                assertTrue(rs.next(), "a stats user within the limit logs in");
                assertRefused(f, "max_user_client_connections", "testdb", MD5, MD5_PW);
            }
        }
    }

    /** psql as the console's user pgbouncer over the unix socket, from our own OS user: PgBouncer's peer login. */
    private static Processes.Result peerConsole(PoolerFixture f, String command) {
        return Processes.command(pg.binary("psql").toString(), "-X", "-At", "-F", ",", "-h", f.dir().toString(),
                        "-p", Integer.toString(f.port()), "-U", "pgbouncer", "-d", "pgbouncer", "-c", command)
                .env("PGCONNECT_TIMEOUT", "10").timeout(Duration.ofSeconds(30)).run();
    }

    /**
     * The peer login counts for database pgbouncer only (admin_pre_login calls check_db_connection_count alone), and
     * passes the limit only when pgbouncer is in admin_users.
     */
    @Test
    void aPeerConsoleLoginCountsForTheConsoleDatabaseOnly() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", ADMIN).set("max_user_client_connections", "1"))) {
            String rows = peerConsole(f, "SHOW DATABASES").assertSuccess("peer console").stdout();
            String pgbouncerRow = rows.lines().filter(l -> l.startsWith("pgbouncer,")).findFirst().orElseThrow();
            // name, host, port, database, force_user, pool_size, min_pool_size, reserve_pool_size, server_lifetime,
            // pool_mode, load_balance_hosts, max_connections, current_connections, max_client_connections,
            // current_client_connections, ...
            assertEquals("1", pgbouncerRow.split(",", -1)[14], "the peer login itself: " + pgbouncerRow);
            awaitCount("database", global(f).databaseClients(), "pgbouncer", 0);
            assertEquals(0, global(f).userClients().count("pgbouncer"), "never counted for a user");
            try (Connection admin = console(f); Statement st = admin.createStatement()) {
                st.execute("SET max_db_client_connections = 1");
                Processes.Result refused = peerConsole(f, "SHOW VERSION");
                assertTrue(refused.output().contains("client connections exceeded (max_db_client_connections)"),
                        "pgbouncer is not in admin_users: " + refused.output());
                st.execute("SET admin_users = 'pgbouncer," + ADMIN + "'");
                peerConsole(f, "SHOW VERSION").assertSuccess("in admin_users, the peer login passes the limit");
            }
        }
    }

    /** SET (and RELOAD, which takes the same path) change the limits for the next logins; who is in stays. */
    @Test
    void setChangesTheLimitForTheNextLogins() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("admin_users", ADMIN));
             Connection a = f.connect("testdb", MD5, MD5_PW); Connection b = f.connect("testdb", MD5, MD5_PW);
             Connection admin = console(f); Statement st = admin.createStatement()) {
            st.execute("SET max_db_client_connections = 1");
            assertRefused(f, "max_db_client_connections", "testdb", MD5, MD5_PW);
            assertTrue(a.isValid(5) && b.isValid(5), "clients already in are not closed");
            st.execute("SET max_db_client_connections = 0");
            try (Connection c = f.connect("testdb", MD5, MD5_PW)) {
                assertTrue(c.isValid(5), "0 = no limit");
            }
        }
    }
}

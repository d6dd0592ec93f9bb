package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The admin console through pgjdbc (simple query mode, as monitoring tools use it): PgBouncer's column names
 * and order, values that follow the pools, access rules and errors.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminConsoleIT {
    private static PostgresCluster pg;
    private static PoolerFixture pooler;

    /** PgBouncer's current column lists (../shared/docs/pgbouncer-reference.md, Part 1b). */
    static List<Object[]> columnLists() {
        String sockets = "type,user,database,replication,state,addr,port,local_addr,local_port,connect_time,"
                + "request_time,wait,wait_us,close_needed,ptr,link,remote_pid,tls,application_name,prepared_statements,id";
        return List.of(
                new Object[] {"POOLS", "database,user,cl_active,cl_waiting,cl_active_cancel_req,cl_waiting_cancel_req,"
                        + "sv_active,sv_active_cancel,sv_being_canceled,sv_idle,sv_used,sv_tested,sv_login,maxwait,"
                        + "maxwait_us,pool_mode,load_balance_hosts"},
                new Object[] {"CLIENTS", sockets},
                new Object[] {"SOCKETS", sockets + ",recv_pos,pkt_pos,pkt_remain,send_pos,send_remain,pkt_avail,send_avail"},
                new Object[] {"ACTIVE_SOCKETS",
                    sockets + ",recv_pos,pkt_pos,pkt_remain,send_pos,send_remain,pkt_avail,send_avail"},
                new Object[] {"SERVERS", sockets},
                new Object[] {"DATABASES", "name,host,port,database,force_user,pool_size,min_pool_size,"
                        + "reserve_pool_size,server_lifetime,pool_mode,load_balance_hosts,max_connections,"
                        + "current_connections,max_client_connections,current_client_connections,paused,disabled,"
                        // poolctl's own, after PgBouncer's: a tool that reads PgBouncer's columns finds them all
                        + "target_session_attrs,current_host"},
                new Object[] {"USERS", "name,pool_size,reserve_pool_size,pool_mode,max_user_connections,"
                        + "current_connections,max_user_client_connections,current_client_connections"},
                new Object[] {"CONFIG", "key,value,default,changeable"},
                new Object[] {"LISTS", "list,items"},
                new Object[] {"MEM", "name,size,used,free,memtotal"},
                new Object[] {"VERSION", "version"},
                new Object[] {"STATE", "key,value"},
                new Object[] {"DNS_HOSTS", "hostname,ttl,addrs"},
                new Object[] {"DNS_ZONES", "zonename,serial,count"},
                new Object[] {"PEERS", "peer_id,host,port,pool_size"},
                new Object[] {"PEER_POOLS", "peer_id,cl_active_cancel_req,cl_waiting_cancel_req,sv_active_cancel,sv_login"},
                new Object[] {"FDS", "fd,task,user,database,addr,port,cancel,link,client_encoding,std_strings,datestyle,"
                        + "timezone,password,scram_client_key,scram_server_key"},
                new Object[] {"STATS", "database,total_server_assignment_count,total_xact_count,total_query_count,"
                        + "total_received,total_sent,total_xact_time,total_query_time,total_wait_time,"
                        + "total_client_parse_count,total_server_parse_count,total_bind_count,total_client_login_count,"
                        + "avg_server_assignment_count,avg_xact_count,avg_query_count,avg_recv,avg_sent,avg_xact_time,"
                        + "avg_query_time,avg_wait_time,avg_client_parse_count,avg_server_parse_count,avg_bind_count,"
                        + "avg_client_login_count"},
                new Object[] {"STATS_TOTALS", "database,server_assignment_count,xact_count,query_count,bytes_received,"
                        + "bytes_sent,xact_time,query_time,wait_time,client_parse_count,server_parse_count,bind_count,"
                        + "client_login_count"},
                new Object[] {"STATS_AVERAGES", "database,server_assignment_count,xact_count,query_count,bytes_received,"
                        + "bytes_sent,xact_time,query_time,wait_time,avg_client_parse_count,avg_server_parse_count,"
                        + "avg_bind_count,avg_client_login_count"},
                new Object[] {"TOTALS", "name,value"});
    }

    @BeforeAll
    static void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "5")
                .set("stats_period", "1")
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("stats_users", PostgresCluster.CLEARTEXT_USER));
    }

    @AfterAll
    static void stop() {
        pooler.close();
    }

    private static Connection console(String user, String password) throws SQLException {
        return pooler.connect("pgbouncer", user, password, "preferQueryMode=simple");
    }

    private static Connection admin() throws SQLException {
        return console(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
    }

    /** Every row of a console answer, column label to text value (the other console ITs of this package use it). */
    static List<Map<String, String>> rows(Connection c, String sql) throws SQLException {
        List<Map<String, String>> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (rs.next()) {
                Map<String, String> row = new HashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void aConsoleSessionThatHasEndedIsNotListedByTheNextOne() throws Exception {
        // As PgBouncer's test suite uses the console: each step a session of its own, and SHOW CLIENTS no longer
        // lists the one before (it sent Terminate and closed before the next connected), with two loops too.
        long before;
        try (Connection c = admin()) {
            before = rows(c, "SHOW CLIENTS").stream().filter(r -> "pgbouncer".equals(r.get("database"))).count();
        }
        for (int round = 0; round < 50; round++) {
            try (Connection c = admin()) {
                rows(c, "SHOW VERSION");
            }
            try (Connection c = admin()) {
                List<Map<String, String>> clients = rows(c, "SHOW CLIENTS");
                assertEquals(before, clients.stream().filter(r -> "pgbouncer".equals(r.get("database"))).count(),
                        "round " + round + ": " + clients);
            }
        }
    }

    @Test
    void killedClientsAreGoneFromTheNextShowClients() throws Exception {
        // PgBouncer's test_kill_all: each console step a session of its own. KILL takes the clients off the lists
        // at once (failNow); when that waited for a loop task, an io_uring loop kept busy by the console's quick
        // exchanges ran it only after the next SHOW CLIENTS, now and then (the suite's test failed ~1 run in 10).
        for (int round = 0; round < 20; round++) {
            Connection c1 = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD);
            Connection c2 = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.SCRAM_USER,
                    PostgresCluster.SCRAM_PASSWORD);
            try {
                try (Statement s1 = c1.createStatement(); Statement s2 = c2.createStatement()) {
                    s1.execute("SELECT 1");
                    s2.execute("SELECT 1");
                }
                try (Connection a = admin()) {
                    exec(a, "KILL");
                }
                try (Connection a = admin()) {
                    List<Map<String, String>> left = rows(a, "SHOW CLIENTS").stream()
                            .filter(r -> !"pgbouncer".equals(r.get("database"))).toList();
                    assertEquals(List.of(), left, "round " + round);
                }
            } finally {
                try (Connection a = admin()) {
                    exec(a, "RESUME");
                }
                c1.close();
                c2.close();
            }
        }
    }

    /** A command that answers CommandComplete without rows (RELOAD, PAUSE, ...). */
    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute(sql);
        }
    }

    @ParameterizedTest(name = "SHOW {0}")
    @MethodSource("columnLists")
    void showHasPgBouncersColumnsInOrder(String what, String columns) throws Exception {
        try (Connection c = admin(); Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SHOW " + what)) {
            ResultSetMetaData md = rs.getMetaData();
            List<String> names = new ArrayList<>();
            for (int i = 1; i <= md.getColumnCount(); i++) {
                names.add(md.getColumnLabel(i));
            }
            assertEquals(columns, String.join(",", names));
        }
    }

    @Test
    void poolsFollowTheLoad() throws Exception {
        // 30 clients hold a transaction each on a pool of 5: 5 servers active, the rest queued.
        ExecutorService threads = Executors.newFixedThreadPool(30);
        List<Connection> clients = new ArrayList<>();
        try {
            for (int i = 0; i < 30; i++) {
                clients.add(pooler.connect());
            }
            List<Future<?>> running = new ArrayList<>();
            for (Connection c : clients) {
                running.add(threads.submit(() -> {
                    try (Statement st = c.createStatement()) {
                        st.execute("select pg_sleep(1.5)");
                    }
                    return null;
                }));
            }
            try (Connection admin = admin()) {
                PoolerFixture.await("cl_waiting > 0 and sv_active = 5", Duration.ofSeconds(10), () -> {
                    try {
                        Map<String, String> row = poolRow(admin);
                        return row != null && Integer.parseInt(row.get("cl_waiting")) > 0
                                && row.get("sv_active").equals("5");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                Map<String, String> row = poolRow(admin);
                assertEquals("transaction", row.get("pool_mode"));
                assertEquals(30, Integer.parseInt(row.get("cl_active")) + Integer.parseInt(row.get("cl_waiting")));
                assertTrue(Integer.parseInt(row.get("maxwait")) >= 0);
                long waitingClients = rows(admin, "SHOW CLIENTS").stream()
                        .filter(r -> "waiting".equals(r.get("state"))).count();
                assertTrue(waitingClients > 0, "SHOW CLIENTS lists the queued clients");
                long activeServers = rows(admin, "SHOW SERVERS").stream()
                        .filter(r -> "active".equals(r.get("state")) && !r.get("link").isEmpty()).count();
                assertEquals(5, activeServers, "SHOW SERVERS: 5 linked servers");
            }
            for (Future<?> f : running) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            for (Connection c : clients) {
                c.close();
            }
            threads.shutdownNow();
        }
    }

    private static Map<String, String> poolRow(Connection admin) throws SQLException {
        return rows(admin, "show pools;").stream()
                .filter(r -> PostgresCluster.TEST_DB.equals(r.get("database"))
                        && PostgresCluster.MD5_USER.equals(r.get("user")))
                .findFirst().orElse(null);
    }

    @Test
    void statsCountersGrowAsPgbenchRuns() throws Exception {
        try (Connection admin = admin()) {
            Map<String, String> before = statsRow(admin);
            long xactsBefore = before == null ? 0 : Long.parseLong(before.get("total_xact_count"));
            pooler.run("pgbench", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, Duration.ofSeconds(60),
                    "-n", "-S", "-c", "4", "-t", "50", PostgresCluster.TEST_DB).assertSuccess("pgbench -S -t 50");
            Map<String, String> after = statsRow(admin);
            long xacts = Long.parseLong(after.get("total_xact_count")) - xactsBefore;
            assertTrue(xacts >= 200, "200 pgbench transactions counted, got " + xacts);
            assertTrue(Long.parseLong(after.get("total_query_count")) >= Long.parseLong(after.get("total_xact_count")));
            assertTrue(Long.parseLong(after.get("total_received")) > 0);
            assertTrue(Long.parseLong(after.get("total_sent")) > Long.parseLong(after.get("total_received")),
                    "select-only returns more than it sends");
            assertTrue(Long.parseLong(after.get("total_query_time")) > 0);
            assertTrue(Long.parseLong(after.get("total_client_login_count")) >= 4);
            Map<String, String> totals = new HashMap<>();
            for (Map<String, String> r : rows(admin, "SHOW TOTALS")) {
                totals.put(r.get("name"), r.get("value"));
            }
            assertTrue(Long.parseLong(totals.get("total_xact_count")) >= Long.parseLong(after.get("total_xact_count")));
        }
        // stats_period = 1: PgBouncer's periodic line appears.
        pooler.awaitLog("LOG stats: \\d+ xacts/s, \\d+ queries/s, \\d+ client parses/s, \\d+ server parses/s, "
                + "\\d+ binds/s, in \\d+ B/s, out \\d+ B/s, xact \\d+ us, query \\d+ us, wait \\d+ us",
                Duration.ofSeconds(10));
    }

    private static Map<String, String> statsRow(Connection admin) throws SQLException {
        return rows(admin, "SHOW STATS").stream()
                .filter(r -> PostgresCluster.TEST_DB.equals(r.get("database"))).findFirst().orElse(null);
    }

    @Test
    void commandsAreCaseInsensitiveWithOrWithoutSemicolon() throws Exception {
        try (Connection c = admin()) {
            assertEquals(1, rows(c, "show version").size());
            assertEquals(1, rows(c, "  SHOW   VERSION ; ").size());
            assertTrue(rows(c, "SELECT VERSION").get(0).get("version").startsWith("poolctl"));
        }
    }

    @Test
    void unknownCommandGetsPgBouncersErrorAndTheSessionGoesOn() throws Exception {
        try (Connection c = admin()) {
            SQLException e = assertThrows(SQLException.class, () -> rows(c, "SHOW NONSENSE"));
            assertEquals("08P01", e.getSQLState());
            assertTrue(e.getMessage().contains("invalid command 'SHOW NONSENSE', use SHOW HELP;"), e.getMessage());
            assertEquals(1, rows(c, "SHOW VERSION").size(), "an error does not end the console session");
        }
    }

    @Test
    void statsUserMayShowButNotControl() throws Exception {
        try (Connection c = console(PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD)) {
            assertTrue(rows(c, "SHOW POOLS").size() >= 1);
            SQLException e = assertThrows(SQLException.class, () -> exec(c, "RELOAD"));
            assertTrue(e.getMessage().contains("admin access needed"), e.getMessage());
        }
    }

    @Test
    void otherUsersAreNotAllowed() {
        SQLException e = assertThrows(SQLException.class,
                () -> console(PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD).close());
        assertTrue(e.getMessage().contains("not allowed"), e.getMessage());
    }

    @Test
    void extendedProtocolGetsAClearErrorNotAHang() {
        SQLException e = assertThrows(SQLException.class, () -> {
            try (Connection c = pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=extended");
                 var ps = c.prepareStatement("SHOW POOLS")) {
                ps.executeQuery();
            }
        });
        assertTrue(e.getMessage().contains("extended query protocol not supported by admin console"), e.getMessage());
    }

    @Test
    void reloadAppliesANewDatabaseAndRefusesABrokenFile() throws Exception {
        String original = Files.readString(pooler.ini());
        try (Connection c = admin()) {
            Files.writeString(pooler.ini(), original.replace("[databases]\n",
                    "[databases]\nreloaded = host=127.0.0.1 port=" + pg.port() + " dbname=testdb\n"));
            exec(c, "RELOAD");
            assertTrue(rows(c, "SHOW DATABASES").stream().anyMatch(r -> "reloaded".equals(r.get("name"))));
            try (Connection viaNew = pooler.connect("reloaded", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
                 Statement st = viaNew.createStatement(); ResultSet rs = st.executeQuery("select current_database()")) {
                assertTrue(rs.next());
                assertEquals("testdb", rs.getString(1));
            }

            Files.writeString(pooler.ini(), original.replace("[pgbouncer]\n", "[pgbouncer]\nmax_client_conn = many\n"));
            SQLException e = assertThrows(SQLException.class, () -> exec(c, "RELOAD"));
            assertEquals("F0000", e.getSQLState());
            assertTrue(e.getMessage().contains("max_client_conn"), e.getMessage());
            assertTrue(rows(c, "SHOW DATABASES").stream().anyMatch(r -> "reloaded".equals(r.get("name"))),
                    "a broken file leaves the running config as it was");
        } finally {
            Files.writeString(pooler.ini(), original);
        }
    }
}

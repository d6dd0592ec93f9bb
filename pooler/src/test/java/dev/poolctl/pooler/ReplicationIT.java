package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * Replication connections through the pooler (PgBouncer 1.23+): a client with {@code replication=database} or
 * {@code replication=yes} gets a server of its own, opened with the same parameter, linked for its whole life in
 * session semantics (here under pool_mode=transaction), shown in SHOW CLIENTS/SERVERS, and closed when it leaves.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReplicationIT {
    private static final String SUPER = PostgresCluster.SUPERUSER;
    /** The superuser's auth_file password (the server trusts it over TCP). */
    private static final String SUPER_PASSWORD = "unused";
    private static PostgresCluster pg;

    private static PoolerFixture start(PoolerFixture.Settings settings) {
        return PoolerFixture.start(pg, settings.set("admin_users", SUPER).set("log_connections", "1")
                .set("log_disconnections", "1"));
    }

    private static Connection replication(PoolerFixture f, String kind) throws SQLException {
        return f.connect(PostgresCluster.TEST_DB, SUPER, SUPER_PASSWORD, "replication=" + kind,
                "assumeMinServerVersion=10", "preferQueryMode=simple", "ApplicationName=repl_it");
    }

    /** SHOW CLIENTS or SHOW SERVERS of the test database: "state/replication" per row. */
    private static List<String> show(PoolerFixture f, String what) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection console = f.connect("pgbouncer", SUPER, SUPER_PASSWORD, "preferQueryMode=simple");
             Statement st = console.createStatement(); ResultSet rs = st.executeQuery("SHOW " + what)) {
            while (rs.next()) {
                if (rs.getString("database").equals(PostgresCluster.TEST_DB)) {
                    rows.add(rs.getString("state") + "/" + rs.getString("replication"));
                }
            }
        }
        return rows;
    }

    private static int walSenders() {
        return Integer.parseInt(pg.queryValue("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'walsender'"));
    }

    private static String value(Connection c, String sql, int column) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(column);
        }
    }

    @Test
    void logicalReplicationStreamsChangesOnItsOwnServer() throws Exception {
        String slot = "repl_it_logical";
        try (PoolerFixture f = start(PoolerFixture.settings().set("pool_mode", "transaction"));
             Connection repl = replication(f, "database");
             Connection normal = f.connect(PostgresCluster.TEST_DB, SUPER, SUPER_PASSWORD)) {
            assertEquals("repl_it", value(repl, "SHOW application_name", 1), "the server got the client's settings");
            assertEquals(pg.queryValue("SELECT system_identifier FROM pg_control_system()"),
                    value(repl, "IDENTIFY_SYSTEM", 1));
            try (Statement st = normal.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS repl_it_t (a int)");
            }
            PGConnection pgc = repl.unwrap(PGConnection.class);
            pgc.getReplicationAPI().createReplicationSlot().logical().withSlotName(slot)
                    .withOutputPlugin("test_decoding").withTemporaryOption().make();
            LogSequenceNumber start = LogSequenceNumber.valueOf(value(normal, "SELECT pg_current_wal_lsn()", 1));
            try (Statement st = normal.createStatement()) {
                st.execute("INSERT INTO repl_it_t VALUES (42)");
            }
            assertEquals(List.of("active/logical"), show(f, "SERVERS").stream().filter(s -> s.endsWith("logical")).toList());
            assertTrue(show(f, "CLIENTS").contains("active/logical"), "SHOW CLIENTS shows the replication client");
            try (PGReplicationStream stream = pgc.getReplicationAPI().replicationStream().logical().withSlotName(slot)
                    .withStartPosition(start).start()) {
                String change = "";
                while (!change.contains("INSERT")) {
                    ByteBuffer b = stream.read(); // CopyBoth: XLogData in, standby status updates out
                    change = new String(b.array(), b.arrayOffset() + b.position(), b.remaining(), StandardCharsets.UTF_8);
                }
                assertTrue(change.contains("repl_it_t") && change.contains("a[integer]:42"), change);
            }
            try (Statement st = normal.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "a normal client of the same pool is served meanwhile");
            }
            repl.close();
            PoolerFixture.await("the replication server closed with its client", Duration.ofSeconds(10),
                    () -> walSenders() == 0);
            assertTrue(f.log().contains("closing because: replication client was closed")
                    || f.log().contains("closing because: client disconnect while server was not ready"), f.log());
        }
    }

    @Test
    void physicalReplicationToolsWork() throws Exception {
        Path backup = Files.createTempDirectory("poolctl-basebackup-");
        // libpq's physical replication connections always ask for database "replication" (PgBouncer's test.ini too).
        // Statement mode, as PgBouncer's test.ini: replication ignores it.
        try (PoolerFixture f = start(PoolerFixture.settings().set("pool_mode", "statement")
                .database("replication", "host=127.0.0.1 port=${port} dbname=testdb"))) {
            try (Connection repl = replication(f, "yes")) {
                assertEquals(pg.queryValue("SELECT system_identifier FROM pg_control_system()"),
                        value(repl, "IDENTIFY_SYSTEM", 1));
                assertEquals(List.of("active/physical"), show(f, "SERVERS"));
                assertEquals(List.of("active/physical"), show(f, "CLIENTS"));
                SQLException sql = assertThrows(SQLException.class, () -> value(repl, "SELECT 1", 1));
                assertTrue(sql.getMessage().contains("cannot execute SQL commands in WAL sender for physical replication"),
                        sql.getMessage());
            }
            // pg_basebackup: BASE_BACKUP's result sets and CopyOut, and a second connection streaming the WAL.
            Processes.Result r = f.run("pg_basebackup", SUPER, SUPER_PASSWORD, Duration.ofSeconds(60),
                    "-D", backup.resolve("data").toString(), "-X", "stream", "-c", "fast", "--no-sync");
            assertEquals(0, r.exitCode(), r.stderr());
            assertTrue(Files.exists(backup.resolve("data/PG_VERSION")), "the backup has the data directory");
            assertTrue(Files.list(backup.resolve("data/pg_wal")).findAny().isPresent(), "the WAL came along");
            // pg_receivewal: START_REPLICATION in CopyBoth; it streams until SIGINT (PgBouncer's test too).
            Path wal = Files.createDirectories(backup.resolve("wal"));
            ProcessBuilder pb = new ProcessBuilder(pg.binary("pg_receivewal").toString(), "-h", f.host(),
                    "-p", Integer.toString(f.port()), "-U", SUPER, "-D", wal.toString(), "--no-loop")
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
            pb.environment().put("PGPASSWORD", SUPER_PASSWORD);
            Process receiver = pb.start();
            try {
                // Some WAL to send: right after the backup's segment switch there may be none until the next
                // standby snapshot (15 s).
                pg.queryValue("SELECT pg_logical_emit_message(false, 'repl_it', 'wake')");
                PoolerFixture.await("a WAL segment being received", Duration.ofSeconds(20), () -> {
                    try (var files = Files.list(wal)) {
                        return files.anyMatch(p -> p.getFileName().toString().endsWith(".partial"));
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                PoolerFixture.await("its server streaming", Duration.ofSeconds(10),
                        () -> pg.queryValue("SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'").equals("1"));
                Processes.command("kill", "-INT", Long.toString(receiver.pid())).timeout(Duration.ofSeconds(10)).run();
                assertTrue(receiver.waitFor(10, TimeUnit.SECONDS), "pg_receivewal stopped");
                assertEquals(0, receiver.exitValue(), "a clean stop at SIGINT");
            } finally {
                receiver.destroyForcibly();
            }
            PoolerFixture.await("no replication server left", Duration.ofSeconds(10), () -> walSenders() == 0);
        } finally {
            Processes.command("rm", "-rf", backup.toString()).timeout(Duration.ofSeconds(20)).run();
        }
    }

    @Test
    void pgRecvlogicalReceivesAnInsert() throws Exception {
        try (PoolerFixture f = start(PoolerFixture.settings());
             Connection normal = f.connect(PostgresCluster.TEST_DB, SUPER, SUPER_PASSWORD)) {
            try (Statement st = normal.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS repl_it_recv (a int)");
            }
            Processes.Result created = f.run("pg_recvlogical", SUPER, SUPER_PASSWORD, Duration.ofSeconds(30),
                    "-d", PostgresCluster.TEST_DB, "--slot=repl_it_recv", "--create-slot", "--plugin=test_decoding");
            assertEquals(0, created.exitCode(), created.stderr());
            try {
                try (Statement st = normal.createStatement()) {
                    st.execute("INSERT INTO repl_it_recv VALUES (7)");
                }
                Path out = f.dir().resolve("recvlogical.out");
                ProcessBuilder pb = new ProcessBuilder(pg.binary("pg_recvlogical").toString(), "-h", f.host(),
                        "-p", Integer.toString(f.port()), "-U", SUPER, "-d", PostgresCluster.TEST_DB,
                        "--slot=repl_it_recv", "--start", "--no-loop", "-f", "-")
                        .redirectOutput(out.toFile()).redirectError(ProcessBuilder.Redirect.DISCARD);
                pb.environment().put("PGPASSWORD", SUPER_PASSWORD);
                Process p = pb.start();
                p.getOutputStream().close();
                try {
                    // It streams until stopped, as PgBouncer's test_logical_rep_pg_recvlogical reads it.
                    PoolerFixture.await("pg_recvlogical printed the insert", Duration.ofSeconds(20), () -> {
                        try {
                            return Files.readString(out).contains("table public.repl_it_recv: INSERT: a[integer]:7");
                        } catch (java.io.IOException e) {
                            return false;
                        }
                    });
                    assertEquals(List.of("active/logical"), show(f, "CLIENTS").stream()
                            .filter(c -> c.endsWith("logical")).toList());
                } finally {
                    p.destroy();
                    assertTrue(p.waitFor(10, TimeUnit.SECONDS), "pg_recvlogical stopped");
                }
                PoolerFixture.await("its server closed with it", Duration.ofSeconds(10), () -> walSenders() == 0);
            } finally {
                pg.query(PostgresCluster.TEST_DB, "SELECT pg_drop_replication_slot('repl_it_recv')");
            }
        }
    }

    @Test
    void refusedReplicationFailsOnlyThatClient() throws Exception {
        try (PoolerFixture f = start(PoolerFixture.settings())) {
            SQLException e = assertThrows(SQLException.class, () -> f.connect(PostgresCluster.TEST_DB,
                    PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "replication=database",
                    "assumeMinServerVersion=10", "preferQueryMode=simple").close());
            assertTrue(e.getMessage().contains("login failed"), e.getMessage());
            f.awaitLog("login failed: .*(must be superuser or replication role|permission denied to start WAL sender)",
                    Duration.ofSeconds(10));
            f.awaitLog("S-\\d+: testdb/md5_user@\\S+ closing because: login failed \\(age", Duration.ofSeconds(10));
            f.awaitLog("C-\\d+: testdb/md5_user@\\S+ closing because: login failed \\(age", Duration.ofSeconds(10));
            // Nothing cached for the pool: a normal login of the same user works at once.
            try (Connection c = f.connect()) {
                assertEquals("1", value(c, "SELECT 1", 1));
            }
        }
    }

    @Test
    void replicationServerEvictsIdleServerAndGoesAtReconnect() throws Exception {
        try (PoolerFixture f = start(PoolerFixture.settings().set("pool_mode", "transaction")
                .set("default_pool_size", "1"))) {
            try (Connection normal = f.connect(PostgresCluster.TEST_DB, SUPER, SUPER_PASSWORD)) {
                assertEquals("1", value(normal, "SELECT 1", 1)); // its server is idle afterwards: the pool is full
                try (Connection repl = replication(f, "database")) {
                    f.awaitLog("closing because: evicted \\(age", Duration.ofSeconds(10));
                    assertEquals(List.of("active/logical"), show(f, "SERVERS"));
                    try (Connection console = f.connect("pgbouncer", SUPER, SUPER_PASSWORD, "preferQueryMode=simple");
                         Statement st = console.createStatement()) {
                        st.execute("RECONNECT");
                    }
                    // Not at a transaction boundary as other servers: at once, as it may stream for ever.
                    f.awaitLog("closing because: database configuration changed", Duration.ofSeconds(10));
                    assertThrows(SQLException.class, () -> value(repl, "IDENTIFY_SYSTEM", 1));
                }
                PoolerFixture.await("no replication server left", Duration.ofSeconds(10), () -> walSenders() == 0);
                assertFalse(show(f, "SERVERS").stream().anyMatch(s -> s.endsWith("logical")));
            }
        }
    }
}

package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * auth_type = hba with auth_hba_file and auth_ident_file (PgBouncer's hba.c): the first matching rule picks the
 * method per connection, for TCP and unix-socket clients, and RELOAD re-reads the rules.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HbaAuthIT {
    private static PostgresCluster pg;
    private Path files;
    private Path hba;
    private PoolerFixture pooler;

    @BeforeEach
    void start() throws Exception {
        files = Files.createTempDirectory("poolctl-hba-");
        hba = files.resolve("hba.conf");
        Files.writeString(hba, """
                # unix socket: the OS user this test runs as may log in as md5_user only
                local   all     all                           peer map=ops
                host    all     cleartext_user  127.0.0.1/32  reject
                host    all     trust_user      127.0.0.1/32  trust
                host    testdb  all             127.0.0.1/32  md5
                """);
        Path ident = files.resolve("ident.conf");
        Files.writeString(ident, "ops  " + System.getProperty("user.name") + "  " + PostgresCluster.MD5_USER + "\n");
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("auth_type", "hba")
                .set("auth_hba_file", hba.toString())
                .set("auth_ident_file", ident.toString()));
    }

    @AfterEach
    void stop() throws Exception {
        pooler.close();
        try (var s = Files.list(files)) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(files);
    }

    private String currentUser(String db, String user, String password, String... props) throws SQLException {
        return pooler.currentUser(db, user, password, props);
    }

    private SQLException refused(String db, String user, String password) {
        return assertThrows(SQLException.class, () -> currentUser(db, user, password));
    }

    @Test
    void aPasswordRuleRunsItsMethodAsThatAuthTypeWould() throws SQLException {
        assertEquals(PostgresCluster.MD5_USER, currentUser(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD));
        // md5 with a SCRAM secret upgrades to SCRAM, as auth_type = md5 does
        assertEquals(PostgresCluster.SCRAM_USER, currentUser(PostgresCluster.TEST_DB, PostgresCluster.SCRAM_USER,
                PostgresCluster.SCRAM_PASSWORD));
        SQLException e = refused(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, "wrong");
        assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
    }

    @Test
    void trustAndRejectRulesAndNoRuleAtAll() throws SQLException {
        assertEquals(PostgresCluster.TRUST_USER, currentUser(PostgresCluster.TEST_DB, PostgresCluster.TRUST_USER,
                "any password is ignored"));
        SQLException rejected = refused(PostgresCluster.TEST_DB, PostgresCluster.CLEARTEXT_USER,
                PostgresCluster.CLEARTEXT_PASSWORD);
        assertTrue(rejected.getMessage().contains("login rejected"), rejected.getMessage());
        assertEquals("08P01", rejected.getSQLState());
        // no rule names this database: refused before any password, whether or not the database exists
        SQLException none = refused("otherdb", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
        assertTrue(none.getMessage().contains("no authentication method is found"), none.getMessage());
    }

    private Processes.Result psqlOverUnixSocket(String user) {
        return Processes.command(pg.binary("psql").toString(), "-X", "-At", "-w", "-h", pooler.dir().toString(),
                        "-p", Integer.toString(pooler.port()), "-U", user, "-d", PostgresCluster.TEST_DB,
                        "-c", "select current_user")
                .env("PGCONNECT_TIMEOUT", "10")
                .timeout(Duration.ofSeconds(30))
                .run();
    }

    @Test
    void peerOverTheUnixSocketGoesByTheIdentMap() {
        Processes.Result ok = psqlOverUnixSocket(PostgresCluster.MD5_USER).assertSuccess("peer login, mapped user");
        assertEquals(PostgresCluster.MD5_USER, ok.stdout().strip());
        Processes.Result no = psqlOverUnixSocket(PostgresCluster.TRUST_USER);
        assertTrue(no.exitCode() != 0, "not in the map");
        assertTrue(no.stderr().contains("unix socket login rejected"), no.stderr());
    }

    @Test
    void reloadReadsTheRulesAgainAndKeepsConnectedClients() throws Exception {
        try (Connection kept = pooler.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD)) {
            Files.writeString(hba, "host all all 127.0.0.1/32 reject\n");
            pooler.daemon().reload().get(20, TimeUnit.SECONDS);
            SQLException e = refused(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
            assertTrue(e.getMessage().contains("login rejected"), e.getMessage());
            try (Statement st = kept.createStatement(); ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "a client logged in before the reload stays");
            }
        }
    }
}

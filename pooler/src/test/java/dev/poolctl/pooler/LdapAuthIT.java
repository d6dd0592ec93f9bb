package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.TestDirectory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * LDAP authentication (PgBouncer 1.25's auth_type = ldap with auth_ldap_options, and hba ldap rules) against a real
 * LDAP server on loopback and a real PostgreSQL: the directory decides, the pooler logs in to PostgreSQL with the
 * password the directory accepted, and a directory that does not answer holds up no other client.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class LdapAuthIT {
    /** In the directory and in PostgreSQL (SCRAM there), not in auth_file. */
    private static final String USER = "ldap_user";
    private static final String PASSWORD = "ldap_pw";

    private static PostgresCluster pg;
    private static TestDirectory directory;

    @BeforeAll
    static void start() {
        pg.query("postgres", "DROP ROLE IF EXISTS " + USER + "; CREATE ROLE " + USER + " LOGIN PASSWORD '" + PASSWORD
                + "'; GRANT CONNECT ON DATABASE testdb TO " + USER);
        directory = TestDirectory.start().person(USER, "LDAP User", PASSWORD)
                .person(PostgresCluster.MD5_USER, "Md5 User", "directory_pw");
    }

    @AfterAll
    static void stop() {
        directory.close();
    }

    private static String url() {
        return "ldap://127.0.0.1:" + directory.ldapPort() + "/" + TestDirectory.BASE + "?uid?sub";
    }

    private static PoolerFixture ldapPooler(PoolerFixture.Settings settings) {
        return PoolerFixture.start(pg, settings.set("auth_type", "ldap")
                .set("auth_ldap_options", "ldapurl=\"" + url() + "\""));
    }

    private static String currentUser(PoolerFixture pooler, String user, String password) throws SQLException {
        return pooler.currentUser(PostgresCluster.TEST_DB, user, password);
    }

    @Test
    void aDirectoryUserLogsInAndThePoolerUsesItsPasswordForPostgres() throws Exception {
        try (PoolerFixture pooler = ldapPooler(PoolerFixture.settings())) {
            assertEquals(USER, currentUser(pooler, USER, PASSWORD), "pgjdbc");
            Processes.Result psql = pooler.run("psql", USER, PASSWORD, Duration.ofSeconds(30),
                    "-d", PostgresCluster.TEST_DB, "-Atc", "select current_user");
            assertEquals(0, psql.exitCode(), psql.toString());
            assertEquals(USER, psql.stdout().trim());

            SQLException wrong = assertThrows(SQLException.class, () -> currentUser(pooler, USER, "wrong"));
            assertEquals("08P01", wrong.getSQLState());
            assertTrue(wrong.getMessage().contains("LDAP authentication failed"), wrong.getMessage());
            pooler.awaitLog("WARNING .*LDAP login failed for user uid=" + USER + ",ou=people,", Duration.ofSeconds(10));

            // auth_file does not count: md5_user's auth_file password is refused, its directory password accepted
            assertThrows(SQLException.class, () -> currentUser(pooler, PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD));
            SQLException unknown = assertThrows(SQLException.class, () -> currentUser(pooler, "nobody", "x"));
            assertEquals(wrong.getMessage(), unknown.getMessage(), "an unknown name reads as a wrong password");
            pooler.awaitLog("LDAP user \"nobody\" does not exist", Duration.ofSeconds(10));
        }
    }

    /** The directory accepted md5_user's directory password; PostgreSQL then refuses it: the server's error. */
    @Test
    void theServerLoginUsesTheDirectoryPasswordEvenForAnAuthFileUser() {
        try (PoolerFixture pooler = ldapPooler(PoolerFixture.settings())) {
            SQLException e = assertThrows(SQLException.class, () -> currentUser(pooler, PostgresCluster.MD5_USER,
                    "directory_pw"));
            assertTrue(e.getMessage().contains("password authentication failed for user \"" + PostgresCluster.MD5_USER
                    + "\""), e.getMessage());
        }
    }

    @Test
    void theConsoleGoesThroughTheDirectoryAndChangedOptionsApplyAtOnce() throws Exception {
        try (PoolerFixture pooler = ldapPooler(PoolerFixture.settings().set("admin_users", USER))) {
            try (Connection admin = pooler.connect("pgbouncer", USER, PASSWORD, "preferQueryMode=simple");
                 Statement st = admin.createStatement()) {
                try (ResultSet rs = st.executeQuery("SHOW CONFIG")) {
                    boolean seen = false;
                    while (rs.next()) {
                        seen |= rs.getString("key").equals("auth_ldap_options") && rs.getString("value").contains(url());
                    }
                    assertTrue(seen, "SHOW CONFIG lists auth_ldap_options");
                }
                st.execute("SET auth_ldap_options = 'ldapurl=\"ldap://127.0.0.2:" + directory.ldapPort() + "/"
                        + TestDirectory.BASE + "?uid?sub\"'");
                assertFalse(st.getWarnings() != null && st.getWarnings().getMessage().contains("not applied"),
                        String.valueOf(st.getWarnings()));
                assertThrows(SQLException.class, () -> currentUser(pooler, USER, PASSWORD));
                pooler.awaitLog("could not connect to LDAP server ldap://127.0.0.2:", Duration.ofSeconds(10));
                SQLException bad = assertThrows(SQLException.class,
                        () -> st.execute("SET auth_ldap_options = 'ldapserver=h'"));
                assertTrue(bad.getMessage().contains("SET failed"), bad.getMessage());
                st.execute("SET auth_ldap_options = 'ldapurl=\"" + url() + "\"'");
                assertEquals(USER, currentUser(pooler, USER, PASSWORD));
            }
            assertThrows(SQLException.class, () -> pooler.connect("pgbouncer", USER, "wrong", "preferQueryMode=simple").close());
        }
    }

    /** PgBouncer's set_pool: LDAP with an auth_user that applies is a configuration error at login. */
    @Test
    void anAuthUserThatAppliesIsABouncerConfigError() {
        try (PoolerFixture pooler = ldapPooler(PoolerFixture.settings().set("auth_user", PostgresCluster.SCRAM_USER))) {
            SQLException e = assertThrows(SQLException.class, () -> currentUser(pooler, USER, PASSWORD));
            assertTrue(e.getMessage().contains("bouncer config error"), e.getMessage());
            pooler.awaitLog("LDAP can't be used together with database authentication", Duration.ofSeconds(10));
        }
    }

    /**
     * hba ldap rules pick LDAP per connection; a rule whose LDAP server accepts the connection and never answers
     * holds up only its own logins: md5 and other LDAP logins go on, and the stuck one ends with an error.
     */
    @Test
    void hbaLdapRulesAndADirectoryThatNeverAnswersHoldUpNoOtherLogin() throws Exception {
        Path dir = Files.createTempDirectory("poolctl-ldap-hba-");
        List<Socket> held = new CopyOnWriteArrayList<>();
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept()); // accepted, never read nor answered
                    }
                } catch (IOException closed) {
                    // the test is over
                }
            }, "silent-ldap");
            acceptor.setDaemon(true);
            acceptor.start();
            Path hba = dir.resolve("hba.conf");
            Files.writeString(hba, "host all " + PostgresCluster.SCRAM_USER + " 127.0.0.1/32 ldap ldapserver=127.0.0.1"
                    + " ldapport=" + silent.getLocalPort() + " ldapprefix=uid= ldapsuffix=\"," + TestDirectory.PEOPLE + "\"\n"
                    + "host all " + USER + " 127.0.0.1/32 ldap ldapurl=\"" + url() + "\"\n"
                    + "host all all 127.0.0.1/32 md5\n");
            try (PoolerFixture pooler = PoolerFixture.start(pg, PoolerFixture.settings().set("auth_type", "hba")
                    .set("auth_hba_file", hba.toString()))) {
                CompletableFuture<SQLException> stuck = CompletableFuture.supplyAsync(() -> {
                    try {
                        currentUser(pooler, PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD);
                        return null;
                    } catch (SQLException e) {
                        return e;
                    }
                });
                PoolerFixture.await("the silent LDAP server's connection", Duration.ofSeconds(10), () -> !held.isEmpty());
                assertEquals(PostgresCluster.MD5_USER, currentUser(pooler, PostgresCluster.MD5_USER,
                        PostgresCluster.MD5_PASSWORD));
                assertEquals(USER, currentUser(pooler, USER, PASSWORD));
                assertFalse(stuck.isDone(), "the stuck login still waits for its directory");
                SQLException e = stuck.get(30, TimeUnit.SECONDS);
                assertTrue(e != null && e.getMessage().contains("LDAP authentication failed"), String.valueOf(e));
            }
        } finally {
            for (Socket s : held) {
                s.close();
            }
            Files.deleteIfExists(dir.resolve("hba.conf"));
            Files.delete(dir);
        }
    }
}

package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** RELOAD re-reads the ini and auth_file: what may change applies at once, nobody is dropped. */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class ReloadIT {
    private static PostgresCluster pg;
    private PoolerFixture pooler;

    @BeforeEach
    void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("default_pool_size", "4")
                .set("admin_users", PostgresCluster.MD5_USER)
                // A forced server user with trust auth: the client-side auth_file can change freely.
                .database("authdb", "host=127.0.0.1 port=${port} dbname=testdb user=trust_user"));
    }

    @AfterEach
    void stop() {
        pooler.close();
    }

    private void reload() throws SQLException {
        try (Connection admin = pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple"); Statement st = admin.createStatement()) {
            st.execute("RELOAD");
        }
    }

    private void edit(String from, String to) throws Exception {
        String ini = Files.readString(pooler.ini());
        assertTrue(ini.contains(from), "ini contains " + from);
        Files.writeString(pooler.ini(), ini.replace(from, to));
    }

    @Test
    void poolSizeShrinksUnderLoadWithoutDroppingClients() throws Exception {
        CompletableFuture<Processes.Result> bench = CompletableFuture.supplyAsync(() -> pooler.run("pgbench",
                PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, Duration.ofSeconds(60),
                "-n", "-S", "-c", "8", "-T", "5", PostgresCluster.TEST_DB));
        PoolerFixture.await("the pool to grow to 4", Duration.ofSeconds(20), () -> serverCount() == 4);
        edit("default_pool_size = 4", "default_pool_size = 2");
        reload();
        PoolerFixture.await("the pool to shrink to 2", Duration.ofSeconds(20), () -> serverCount() <= 2);
        Processes.Result r = bench.get(60, TimeUnit.SECONDS);
        r.assertSuccess("pgbench across the reload");
        assertFalse(r.stdout().matches("(?s).*number of failed transactions: [1-9].*"), r.stdout());
    }

    private int serverCount() {
        var pool = pooler.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
        return pool == null ? 0 : pooler.inLoop(pool::serverCount);
    }

    @Test
    void changedAuthFileTakesEffect() throws Exception {
        Path userlist = pooler.dir().resolve("userlist.txt");
        try (Connection c = pooler.connect("authdb", PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD);
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select current_user")) {
            assertTrue(rs.next());
            assertEquals("trust_user", rs.getString(1), "forced server user");
        }
        String list = Files.readString(userlist);
        Files.writeString(userlist, list.replace("\"cleartext_user\" \"cleartext_pw\"", "\"cleartext_user\" \"rotated_pw\""));
        reload();
        try (Connection c = pooler.connect("authdb", PostgresCluster.CLEARTEXT_USER, "rotated_pw")) {
            assertTrue(c.isValid(5), "the new password works");
        }
        SQLException e = assertThrows(SQLException.class,
                () -> pooler.connect("authdb", PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD).close());
        assertTrue(e.getMessage().contains("password authentication failed"), e.getMessage());
    }

    @Test
    void restartOnlySettingIsReportedAndKept() throws Exception {
        String port = Integer.toString(pooler.port());
        edit("listen_port = " + port, "listen_port = 1");
        reload();
        pooler.awaitLog("cannot change listen_port from '" + port + "' to '1' without a restart", Duration.ofSeconds(10));
        try (Connection admin = pooler.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple"); Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SHOW CONFIG")) {
            String value = null;
            while (rs.next()) {
                if (rs.getString("key").equals("listen_port")) {
                    value = rs.getString("value");
                }
            }
            assertEquals(port, value, "SHOW CONFIG tells the value in force");
        }
    }
}

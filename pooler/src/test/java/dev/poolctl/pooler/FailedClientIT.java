package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A client the pooler fails (KILL_CLIENT here; query_timeout, idle_transaction_timeout, client_login_timeout and
 * max_client_conn take the same path) is closed even when it never reads, and its slot is free at once.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class FailedClientIT {
    private static PostgresCluster pg;

    /** The first client in {@code state}, awaited: the pooler reads what the test sent on its own time. */
    private static ClientConnection find(PoolerFixture f, ClientState state) {
        ClientConnection[] found = new ClientConnection[1];
        PoolerFixture.await("a client in state " + state, Duration.ofSeconds(10), () -> {
            found[0] = f.inLoop(() -> f.daemon().poolManagers().stream().flatMap(m -> m.allClients().stream())
                    .filter(c -> c.state() == state).map(c -> (ClientConnection) c).findFirst().orElse(null));
            return found[0] != null;
        });
        return found[0];
    }

    private static boolean kill(PoolerFixture f, ClientConnection c) {
        return f.inLoop(() -> f.daemon().poolManagers().stream().anyMatch(m -> m.killClient(c.id())));
    }

    @Test
    void aKilledClientThatNeverReadsIsClosedAndItsSlotFreedAtOnce() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("max_client_conn", "2"));
             RawClient stuck = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
            stuck.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, PostgresCluster.TEST_DB);
            // About 200 MB of rows that the client never reads: the pooler's buffer towards it fills up.
            stuck.send(RawClient.query("select repeat('x', 1000000) from generate_series(1, 200)"));
            ClientConnection c = find(f, ClientState.ACTIVE);
            assertNotNull(c);
            PoolerFixture.await("the pooler's output to the client to back up", Duration.ofSeconds(20),
                    () -> f.inLoop(() -> !c.channel().isWritable()));
            PoolManager manager = f.daemon().poolManager();
            assertEquals(1, (int) f.inLoop(manager::clientCount));

            assertTrue(kill(f, c), "KILL_CLIENT finds it");
            PoolerFixture.await("the killed client's slot to be free", Duration.ofMillis(500),
                    () -> f.inLoop(manager::clientCount) == 0);
            try (Connection a = f.connect(); Connection b = f.connect();
                 Statement st = b.createStatement(); ResultSet rs = st.executeQuery("select 7")) {
                assertTrue(a.isValid(5), "the first new client is logged in");
                assertTrue(rs.next(), "max_client_conn = 2 admits two new clients: the killed one is not counted");
                assertEquals(7, rs.getInt(1));
            }
            PoolerFixture.await("the non-reading client's socket to be closed", Duration.ofSeconds(5),
                    () -> f.inLoop(() -> !c.channel().isOpen()));
        }
    }

    @Test
    void killClientFindsClientsStillLoggingIn() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings());
             RawClient raw = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10))) {
            raw.send(RawClient.startupPacket(PostgresCluster.MD5_USER, PostgresCluster.TEST_DB));
            assertEquals('R', raw.read().type(), "asked for a password");
            ClientConnection c = find(f, ClientState.AUTH);
            assertNotNull(c);
            assertTrue(kill(f, c), "KILL_CLIENT finds a client still authenticating");
            RawClient.Message m = raw.read();
            assertEquals("admin forced disconnect", m.fields().get('M'), m.toString());
            assertTrue(raw.awaitClosed(Duration.ofSeconds(5)));
        }
    }

    @Test
    void killClientFindsConsoleClients() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("admin_users",
                PostgresCluster.MD5_USER));
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            ClientConnection c = find(f, ClientState.ADMIN);
            assertNotNull(c);
            assertTrue(kill(f, c), "KILL_CLIENT finds a console client");
            assertThrows(SQLException.class, () -> {
                try (Statement st = console.createStatement()) {
                    st.execute("SHOW VERSION");
                }
            });
            PoolerFixture.await("the console client to be gone", Duration.ofSeconds(5),
                    () -> f.inLoop(() -> f.daemon().poolManagers().stream().mapToInt(PoolManager::adminClientCount).sum()) == 0);
        }
    }

    /**
     * As with PgBouncer's synchronous log, the line that says why a client was closed is in the logfile before the
     * client gets its error: a tool (PgBouncer's test suite does this) may read the file the moment it sees the error.
     */
    @Test
    void theClosingLineIsInTheLogfileBeforeTheClientGetsItsError() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings())) {
            for (int i = 0; i < 20; i++) {
                String db = "nosuchdb" + i;
                SQLException e = assertThrows(SQLException.class,
                        () -> f.connect(db, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD).close());
                assertTrue(e.getMessage().contains("no such database: " + db), e.getMessage());
                // Read the file itself: no flush of the writer first, as f.log() would do.
                String written = java.nio.file.Files.readString(f.dir().resolve("pooler.log"));
                assertTrue(written.contains("closing because: no such database: " + db), "login " + i);
            }
        }
    }
}

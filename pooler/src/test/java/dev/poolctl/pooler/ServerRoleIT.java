package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FakeServer;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * target_session_attrs against a server older than PostgreSQL 14, which reports no in_hot_standby: the pooler asks
 * with one query at login, as libpq does, and keeps or turns down the server by the answer. (PostgreSQL 14+ is
 * covered by FailoverIT with a real primary and standby.)
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ServerRoleIT {
    private static PostgresCluster pg;

    /** A PostgreSQL 13 standby: no in_hot_standby at login, {@code t}/{@code on} to the role query. */
    private static FakeServer oldStandby(ConcurrentLinkedQueue<String> queries) throws IOException {
        return new FakeServer(c -> {
            c.readStartup();
            c.welcome();
            c.answerQueries(sql -> {
                queries.add(sql);
                c.send('D', new byte[] {0, 2, 0, 0, 0, 1, 't', 0, 0, 0, 2, 'o', 'n'});
                c.send('C', FakeServer.Conversation.cstrings("SELECT 1"));
                c.readyForQuery();
            });
        });
    }

    @Test
    void aServerWithoutInHotStandbyIsAskedAndKeptOrTurnedDownByItsAnswer() throws Exception {
        ConcurrentLinkedQueue<String> queries = new ConcurrentLinkedQueue<>();
        try (FakeServer fake = oldStandby(queries);
             PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                     .database("standby_db", "host=127.0.0.1 port=" + fake.port()
                             + " dbname=x user=fake password=x target_session_attrs=standby")
                     .database("primary_db", "host=127.0.0.1 port=" + fake.port()
                             + " dbname=x user=fake password=x target_session_attrs=read-write")
                     .set("client_login_timeout", "2"))) {
            try (RawClient client = RawClient.connect(f)) {
                List<RawClient.Message> welcome = client.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                        "standby_db");
                assertEquals('Z', welcome.get(welcome.size() - 1).type(), "a standby is what standby_db asks for");
            }
            assertEquals(List.of("SELECT pg_catalog.pg_is_in_recovery(), pg_catalog.current_setting("
                    + "'transaction_read_only')"), List.copyOf(queries), "asked once, at login");

            // The wrong role is PostgreSQL not accepting (a promotion may be under way): the client waits for the
            // next attempts, as after a failed connect, until client_login_timeout.
            try (RawClient client = RawClient.connect(f)) {
                IOException e = assertThrows(IOException.class,
                        () -> client.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "primary_db"));
                assertTrue(e.getMessage().contains("client_login_timeout (server down)"), e.getMessage());
            }
            f.awaitLog("server login failed: server is a standby, not read-write \\(target_session_attrs\\)",
                    Duration.ofSeconds(10));
        }
    }
}

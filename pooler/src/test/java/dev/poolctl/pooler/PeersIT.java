package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.DataOutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Several poolers behind one address (issue 13, item 5): {@code so_reuseport} lets them listen on one port, and
 * PgBouncer's {@code peer_id} + {@code [peers]} sends a CancelRequest that lands on the wrong one to the right one
 * (the peer is in the cancel key). PgBouncer's test_peering, with real clients.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PeersIT {
    private static PostgresCluster pg;

    private static PoolerFixture.Settings peer(int id, int port, int... peerPorts) {
        PoolerFixture.Settings s = PoolerFixture.settings()
                .set("listen_port", Integer.toString(port))
                .set("peer_id", Integer.toString(id));
        for (int i = 0; i < peerPorts.length; i++) {
            s.peer(i + 1, "host=127.0.0.1 port=" + peerPorts[i]);
        }
        return s;
    }

    /** A client logged in at {@code port} with its BackendKeyData (pid, secret). */
    private record KeyedClient(RawClient raw, int pid, int secret) implements AutoCloseable {
        static KeyedClient login(int port) throws Exception {
            RawClient raw = RawClient.connect("127.0.0.1", port, Duration.ofSeconds(30));
            for (RawClient.Message m : raw.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    PostgresCluster.TEST_DB)) {
                if (m.type() == 'K') {
                    ByteBuffer b = ByteBuffer.wrap(m.body());
                    return new KeyedClient(raw, b.getInt(), b.getInt());
                }
            }
            throw new AssertionError("no BackendKeyData");
        }

        /** Runs a long query, cancels it through {@code cancelPort}, and returns the query's error. */
        RawClient.Message sleepAndCancelVia(int cancelPort) throws Exception {
            raw.send(RawClient.query("SELECT pg_sleep(20)"));
            // running at PostgreSQL: a cancel that came before the query would find nothing to cancel
            PoolerFixture.await("the query running", Duration.ofSeconds(10), () -> !"0".equals(pg.queryValue(
                    "SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(20)' AND state = 'active'")));
            try (Socket s = new Socket("127.0.0.1", cancelPort)) {
                DataOutputStream out = new DataOutputStream(s.getOutputStream());
                out.writeInt(16);
                out.writeInt(80877102);
                out.writeInt(pid);
                out.writeInt(secret);
                out.flush();
                s.setSoTimeout(10_000);
                assertEquals(-1, s.getInputStream().read(), "the pooler closes the cancel connection when done");
            }
            RawClient.Message answer = raw.read();
            while (!answer.isError()) {
                answer = raw.read();
            }
            while (raw.read().type() != 'Z') {
                // up to ReadyForQuery: the client can go on
            }
            return answer;
        }

        @Override
        public void close() throws Exception {
            raw.close();
        }
    }

    @Test
    void aCancelSentToTheOtherPeerIsForwardedToTheOneServingTheClient() throws Exception {
        int portA = FreePort.find();
        int portB = FreePort.find();
        try (PoolerFixture a = PoolerFixture.start(pg, peer(1, portA, portA, portB));
             PoolerFixture b = PoolerFixture.start(pg, peer(2, portB, portA, portB));
             KeyedClient client = KeyedClient.login(portA)) {
            assertEquals(1, ((long) client.pid() << 32 | (client.secret() & 0xffffffffL)) >>> 48 & 0xFF,
                    "pooler 1's key carries peer_id 1 in its second byte");
            RawClient.Message error = client.sleepAndCancelVia(portB);
            assertEquals("57014", error.fields().get('C'), error.toString());
            assertFalse(b.log().contains("login attempt"), "B only forwarded: no client logged in there");
            // The same client, canceled at its own pooler.
            assertEquals("57014", client.sleepAndCancelVia(portA).fields().get('C'));
        }
    }

    @Test
    void soReuseportPutsSeveralPoolersOnOnePortAndCancelsFindTheirClientWhereverTheyLand() throws Exception {
        int port = FreePort.find();
        // On one port, a peer is told apart by its unix socket (as in PgBouncer's test_peering): [peers] names that.
        java.nio.file.Path dirOne = java.nio.file.Files.createTempDirectory("poolctl-peer1-");
        java.nio.file.Path dirTwo = java.nio.file.Files.createTempDirectory("poolctl-peer2-");
        PoolerFixture.Settings one = PoolerFixture.settings().set("listen_port", Integer.toString(port))
                .set("so_reuseport", "1").set("peer_id", "1").set("unix_socket_dir", dirOne.toString())
                .peer(2, "host=" + dirTwo + " port=" + port);
        PoolerFixture.Settings two = PoolerFixture.settings().set("listen_port", Integer.toString(port))
                .set("so_reuseport", "1").set("peer_id", "2").set("unix_socket_dir", dirTwo.toString())
                .peer(1, "host=" + dirOne + " port=" + port);
        try (PoolerFixture a = PoolerFixture.start(pg, one);
             PoolerFixture b = PoolerFixture.start(pg, two)) {
            IllegalStateException taken = assertThrows(IllegalStateException.class,
                    () -> PoolerFixture.start(pg, PoolerFixture.settings().set("listen_port", Integer.toString(port))));
            assertTrue(taken.getMessage().contains("cannot listen"), "without so_reuseport: " + taken.getMessage());

            List<Connection> clients = new ArrayList<>();
            try {
                for (int i = 0; i < 16; i++) {
                    Connection c = a.connect(); // the shared port: the kernel picks the pooler
                    try (Statement st = c.createStatement()) {
                        st.execute("SELECT 1");
                    }
                    clients.add(c);
                }
                int onA = a.inLoop(() -> a.daemon().poolManager().clientCount());
                int onB = b.inLoop(() -> b.daemon().poolManager().clientCount());
                assertEquals(16, onA + onB);
                assertTrue(onA > 0 && onB > 0, "the kernel spreads the clients: " + onA + " and " + onB);
            } finally {
                for (Connection c : clients) {
                    c.close();
                }
            }
            // PgBouncer's test_peering_without_own_index: each cancel lands on either pooler and still works.
            try (KeyedClient client = KeyedClient.login(port)) {
                for (int i = 0; i < 4; i++) {
                    RawClient.Message error = client.sleepAndCancelVia(port);
                    assertEquals("57014", error.fields().get('C'), error.toString());
                }
            }
        } finally {
            for (java.nio.file.Path d : List.of(dirOne, dirTwo)) {
                try (var files = java.nio.file.Files.list(d)) {
                    for (java.nio.file.Path f : files.toList()) {
                        java.nio.file.Files.deleteIfExists(f);
                    }
                }
                java.nio.file.Files.deleteIfExists(d);
            }
        }
    }
}

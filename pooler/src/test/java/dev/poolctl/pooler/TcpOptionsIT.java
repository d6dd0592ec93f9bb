package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.session.ClientConnection;
import dev.poolctl.pooler.session.ServerConnection;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.RawClient;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringSocketChannel;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * PgBouncer's socket settings reach the sockets, read back with getsockopt: tcp_user_timeout and tcp_socket_buffer on
 * the client's socket and on the server's, a SET of them applying to the next client and server, and listen_backlog
 * on the listening socket (its Send-Q in {@code ss}).
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TcpOptionsIT {
    private static PostgresCluster pg;

    /** The option's value on a socket; null on NIO, which cannot read TCP_USER_TIMEOUT. */
    private static Integer userTimeout(Channel ch) {
        if (ch instanceof EpollSocketChannel) {
            return ch.config().getOption(EpollChannelOption.TCP_USER_TIMEOUT);
        }
        if (ch instanceof IoUringSocketChannel) {
            return ch.config().getOption(IoUringChannelOption.TCP_USER_TIMEOUT);
        }
        return null;
    }

    /** [client socket, server socket] of the pool's only client and server. */
    private static List<Channel> sockets(PoolerFixture f) {
        Pool p = f.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
        return f.inLoop(() -> List.of(((ClientConnection) p.clients().get(0)).channel(),
                ((ServerConnection) p.servers().get(0)).channel()));
    }

    private static void assertOptions(List<Channel> sockets, int userTimeout, int buffer) {
        for (Channel ch : sockets) {
            Integer timeout = userTimeout(ch);
            if (timeout != null) {
                assertEquals(userTimeout, timeout, "TCP_USER_TIMEOUT of " + ch);
            }
            // Linux doubles the value it is given (for its bookkeeping) and reports that
            int rcv = ch.config().getOption(ChannelOption.SO_RCVBUF);
            int snd = ch.config().getOption(ChannelOption.SO_SNDBUF);
            assertTrue(rcv == buffer || rcv == 2 * buffer, "SO_RCVBUF " + rcv + " of " + ch);
            assertTrue(snd == buffer || snd == 2 * buffer, "SO_SNDBUF " + snd + " of " + ch);
        }
    }

    @Test
    void socketSettingsReachClientAndServerSockets() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("pool_mode", "session")
                .set("tcp_user_timeout", "4321")
                .set("tcp_socket_buffer", "100000")
                .set("listen_backlog", "17"))) {
            Processes.Result ss = Processes.run(List.of("ss", "-Hltn", "sport = :" + f.port()), Duration.ofSeconds(10));
            // a listening socket's Send-Q is its backlog
            assertTrue(ss.stdout().matches("(?s)LISTEN\\s+\\d+\\s+17\\s.*"), ss.stdout() + ss.stderr());

            try (Connection c = f.connect(); Statement st = c.createStatement()) {
                st.execute("SELECT 1");
                assertOptions(sockets(f), 4321, 100000);
            }
            try (Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=simple"); Statement st = console.createStatement()) {
                st.execute("SET tcp_user_timeout = 2345");
                st.execute("SET tcp_socket_buffer = 120000");
                st.execute("RECONNECT");
            }
            Pool pool = f.pool(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            PoolerFixture.await("the old server gone", Duration.ofSeconds(10),
                    () -> f.inLoop(() -> pool.servers().isEmpty()));
            try (Connection c = f.connect(); Statement st = c.createStatement()) {
                st.execute("SELECT 1");
                assertOptions(sockets(f), 2345, 120000);
            }
        }
    }

    private static int usedClients(Connection console) throws java.sql.SQLException {
        try (Statement st = console.createStatement(); java.sql.ResultSet rs = st.executeQuery("SHOW LISTS")) {
            while (rs.next()) {
                if (rs.getString("list").equals("used_clients")) {
                    return rs.getInt("items");
                }
            }
        }
        return -1;
    }

    @Test
    void tcpDeferAcceptLeavesASilentConnectionToTheKernel() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("tcp_defer_accept", "1")); // PgBouncer's default on Linux
             RawClient silent = RawClient.connect(f);
             Connection console = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                     "preferQueryMode=simple")) {
            // Accepts are taken in order: without the deferral the silent connection, made first, would count by the
            // time the console has logged in. With it, only the console is a client.
            assertEquals(1, usedClients(console), "the silent connection takes no client slot");
            silent.send(RawClient.sslRequest());
            assertEquals('N', silent.readByte(), "once it sends, it is accepted and answered");
            assertEquals(2, usedClients(console));
        }
    }
}

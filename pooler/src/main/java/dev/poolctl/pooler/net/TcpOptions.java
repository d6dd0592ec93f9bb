package dev.poolctl.pooler.net;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;

/**
 * PgBouncer's per-socket TCP settings, for client sockets (set at accept) and server sockets (set at connect):
 * tcp_keepalive with tcp_keepcnt/tcp_keepidle/tcp_keepintvl (0 = the OS default), tcp_user_timeout in
 * milliseconds (0 = the OS default) and tcp_socket_buffer (SO_SNDBUF and SO_RCVBUF; 0 = the OS default, which
 * autotunes). The keepalive tuning and the user timeout need a native transport (epoll, io_uring): NIO cannot set
 * them per socket.
 */
public record TcpOptions(boolean keepalive, int keepCount, int keepIdle, int keepInterval, int userTimeoutMillis,
                         int socketBuffer) {
    public static TcpOptions of(GeneralSettings g) {
        return new TcpOptions(g.tcpKeepalive(), g.intValue(Setting.TCP_KEEPCNT), g.intValue(Setting.TCP_KEEPIDLE),
                g.intValue(Setting.TCP_KEEPINTVL), g.intValue(Setting.TCP_USER_TIMEOUT),
                g.intValue(Setting.TCP_SOCKET_BUFFER));
    }
}

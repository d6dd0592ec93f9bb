package dev.poolctl.pooler.pool;

import java.net.InetSocketAddress;

/** PgBouncer's wording of the log lines about server connections, which its test suite and operators grep for. */
final class ServerLogLines {
    private ServerLogLines() {}

    /**
     * PgBouncer's handle_connect: {@code new connection to server (from 127.0.0.1:40312)}, naming the local end of
     * a TCP connection (which address of a host list or of several local ones was used); over a unix socket no
     * address.
     */
    static String connected(PoolServer s) {
        if (!(s.localAddress() instanceof InetSocketAddress local) || local.getAddress() == null) {
            return " new connection to server";
        }
        String host = local.getAddress().getHostAddress();
        return " new connection to server (from " + (host.contains(":") ? "[" + host + "]" : host) + ":"
                + local.getPort() + ")";
    }
}

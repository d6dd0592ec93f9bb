package dev.poolctl.pooler.net;

import java.net.InetSocketAddress;
import java.net.SocketAddress;

/** How a peer's address is written in log lines: {@code 127.0.0.1:5432}, {@code [::1]:5432}, {@code unix:...}. */
public final class Addresses {
    private Addresses() {}

    public static String describe(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            String host = inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
            return (host.contains(":") ? "[" + host + "]" : host) + ":" + inet.getPort();
        }
        return "unix:" + (a == null ? "" : a.toString());
    }
}

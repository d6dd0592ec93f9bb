package dev.poolctl.pooler.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Finds a TCP port on 127.0.0.1 that is free right now.
 *
 * <p>The port is found by binding a socket to port 0 and closing it again, so there is an
 * unavoidable window in which another process may take it; callers that start a server on the
 * port should be prepared to retry with a fresh one if binding fails.
 */
public final class FreePort {

    private FreePort() {
    }

    /** A currently unused TCP port on the loopback interface. */
    public static int find() {
        try (ServerSocket socket = new ServerSocket()) {
            // No SO_REUSEADDR: we want a port that is not even lingering in TIME_WAIT.
            socket.setReuseAddress(false);
            socket.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("could not find a free TCP port on 127.0.0.1", e);
        }
    }
}

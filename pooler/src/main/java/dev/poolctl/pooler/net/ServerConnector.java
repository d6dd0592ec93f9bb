package dev.poolctl.pooler.net;

import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.protocol.FrontendMessages;
import dev.poolctl.pooler.session.ServerConnection;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.Supplier;

/** Opens connections to PostgreSQL on the pools' event loop: TCP, or a unix socket when the host is a directory. */
public final class ServerConnector {
    private final EventLoop loop;
    private final Transport transport;
    private final PoolerLog log;
    private final Supplier<Settings> settings;

    /** The socket options that come from the config. */
    public record Settings(Duration connectTimeout, boolean tcpKeepalive, int keepCount, int keepIdle, int keepInterval,
                           String defaultUnixSocketDir) {}

    public ServerConnector(EventLoop loop, Transport transport, PoolerLog log, Supplier<Settings> settings) {
        this.loop = loop;
        this.transport = transport;
        this.log = log;
        this.settings = settings;
    }

    /** How a server address is shown in logs: {@code host:port} or {@code unix:/dir/.s.PGSQL.port}. */
    public static String describe(String host, int port, String defaultUnixDir) {
        if (host == null || host.startsWith("/")) {
            return "unix:" + (host == null ? defaultUnixDir : host) + "/.s.PGSQL." + port;
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private SocketAddress resolve(String host, int port) {
        Settings s = settings.get();
        if (host == null || host.startsWith("/")) {
            String dir = host == null ? s.defaultUnixSocketDir() : host;
            return new DomainSocketAddress(dir + "/.s.PGSQL." + port);
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    private Bootstrap bootstrap(SocketAddress address) {
        Settings s = settings.get();
        Bootstrap b = new Bootstrap().group(loop);
        if (address instanceof DomainSocketAddress) {
            if (!transport.supportsUnixSockets()) {
                throw new IllegalStateException("unix sockets need the epoll transport (Linux)");
            }
            b.channel(transport.domainChannel());
        } else {
            b.channel(transport.channel())
                    .option(ChannelOption.TCP_NODELAY, true)
                    .option(ChannelOption.SO_KEEPALIVE, s.tcpKeepalive());
            if (s.tcpKeepalive()) {
                transport.keepaliveTuning(b::option, s.keepCount(), s.keepIdle(), s.keepInterval());
            }
        }
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, s.connectTimeout().toMillis());
        if (timeoutMillis > 0) {
            b.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis);
        }
        return b.option(ChannelOption.WRITE_BUFFER_WATER_MARK, Listeners.WATER_MARK);
    }

    public void connect(ServerConnection server, String host, int port) {
        SocketAddress address = resolve(host, port);
        try {
            bootstrap(address).handler(server).connect(address).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    String why = f.cause() == null ? "connect failed" : f.cause().getMessage();
                    log.warning(server.prefix() + " connect failed: " + why);
                    server.pool().serverLoginFailed(server, "08006", "server connection failed: " + why);
                    server.close("connect failed");
                }
            });
        } catch (RuntimeException e) {
            server.pool().serverLoginFailed(server, "08006", "server connection failed: " + e.getMessage());
            server.close("connect failed");
        }
    }

    /** What a forwarded cancel reports back: PgBouncer keeps the server out of use until the cancel is done. */
    public interface CancelCallback {
        /** The cancel connection is open: whether to send the CancelRequest still. */
        boolean connected();

        /** The cancel connection is closed (PostgreSQL has acted on it), failed, or gave up: called once. */
        void done();
    }

    /**
     * Sends a CancelRequest on a new connection, as PostgreSQL requires, and reports when PostgreSQL has closed
     * it, which it does once it has signalled the backend; {@code waitTimeout} (cancel_wait_timeout) bounds it.
     */
    public void cancel(String addressText, int pid, int key, Duration waitTimeout, CancelCallback callback) {
        SocketAddress address;
        try {
            address = parse(addressText);
        } catch (RuntimeException e) {
            callback.done();
            return;
        }
        bootstrap(address).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                if (!callback.connected()) {
                    ctx.close();
                    return;
                }
                ctx.writeAndFlush(FrontendMessages.cancelRequest(ctx.alloc(), pid, key));
                if (!waitTimeout.isZero()) {
                    // cancel_wait_timeout: PostgreSQL closes at once; a server that does not must not hold the pool.
                    ctx.executor().schedule(() -> ctx.close(), waitTimeout.toMillis(),
                            java.util.concurrent.TimeUnit.MILLISECONDS);
                }
            }

            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                io.netty.util.ReferenceCountUtil.release(msg); // PostgreSQL answers a cancel with nothing
            }

            @Override
            public void channelInactive(ChannelHandlerContext ctx) {
                callback.done();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }).connect(address).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.warning("cancel request to " + addressText + " failed: " + f.cause().getMessage());
                callback.done();
            }
        });
    }

    private static SocketAddress parse(String described) {
        if (described.startsWith("unix:")) {
            return new DomainSocketAddress(described.substring(5));
        }
        int colon = described.lastIndexOf(':');
        String host = described.substring(0, colon);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return InetSocketAddress.createUnresolved(host, Integer.parseInt(described.substring(colon + 1)));
    }
}

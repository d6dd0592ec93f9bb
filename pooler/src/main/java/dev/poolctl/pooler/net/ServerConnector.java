package dev.poolctl.pooler.net;

import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.protocol.FrontendMessages;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.resolver.NoopAddressResolverGroup;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/** Opens connections to PostgreSQL on the pools' event loop: TCP, or a unix socket when the host is a directory. */
public final class ServerConnector {
    /** PgBouncer's words for a server name that does not resolve: the failure message starts with them. */
    public static final String DNS_FAILED = "server DNS lookup failed";

    private final EventLoop loop;
    private final Transport transport;
    private final PoolerLog log;
    private final Supplier<Settings> settings;
    private volatile HostResolver resolver;

    /** The socket options that come from the config, and the TLS context towards PostgreSQL (server_tls_*). */
    public record Settings(Duration connectTimeout, TcpOptions tcp, String defaultUnixSocketDir,
                           HostResolver.Settings dns, TlsContexts.Side tls) {}

    public ServerConnector(EventLoop loop, Transport transport, PoolerLog log, Supplier<Settings> settings) {
        this.loop = loop;
        this.transport = transport;
        this.log = log;
        this.settings = settings;
        this.resolver = new HostResolver(loop, () -> settings.get().dns());
    }

    /** Replaces the system resolver: tests answer host names without any DNS traffic. */
    public void lookup(HostResolver.Lookup lookup) {
        HostResolver old = resolver;
        resolver = new HostResolver(loop, lookup, () -> settings.get().dns(), System::nanoTime);
        old.close();
    }

    /** Stops the resolver threads (at exit). */
    public void close() {
        resolver.close();
    }

    /** How a server address is shown in logs: {@code host:port} or {@code unix:/dir/.s.PGSQL.port}. */
    public static String describe(String host, int port, String defaultUnixDir) {
        if (host == null || host.startsWith("/")) {
            return "unix:" + (host == null ? defaultUnixDir : host) + "/.s.PGSQL." + port;
        }
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }

    private Bootstrap bootstrap(SocketAddress address) {
        Settings s = settings.get();
        // Addresses arrive resolved (HostResolver): the loop itself must never call the system resolver.
        Bootstrap b = new Bootstrap().group(loop).resolver(NoopAddressResolverGroup.INSTANCE);
        if (address instanceof DomainSocketAddress) {
            if (!transport.supportsUnixSockets()) {
                throw new IllegalStateException("unix sockets need io_uring or epoll (io_method; Linux)");
            }
            b.channel(transport.domainChannel());
        } else {
            b.channel(transport.channel()).option(ChannelOption.TCP_NODELAY, true);
            transport.tcpOptions(b::option, s.tcp());
        }
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, s.connectTimeout().toMillis());
        if (timeoutMillis > 0) {
            b.option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis);
        }
        return b.option(ChannelOption.WRITE_BUFFER_WATER_MARK, Listeners.WATER_MARK);
    }

    /**
     * Connects {@code handler} (a server connection) to {@code host}: a unix socket directory, an IP, or a name
     * resolved off the loop. A lookup or connect that fails calls {@code failed} with PgBouncer's message; a
     * connection {@code abandoned} while its name was looked up (KILL, shutdown) is not made. Over TCP with a
     * server_tls_sslmode other than disable, TLS is negotiated first ({@link ServerTlsStarter}); a refusal or a
     * failed handshake calls {@code tlsFailed}, after which the connection closes.
     */
    public void connect(ChannelHandler handler, String host, int port, BooleanSupplier abandoned,
                        Consumer<String> failed, Consumer<String> tlsFailed) {
        if (host == null || host.startsWith("/")) {
            connectTo(handler, new DomainSocketAddress((host == null ? settings.get().defaultUnixSocketDir() : host)
                    + "/.s.PGSQL." + port), failed);
            return;
        }
        TlsContexts.Side tls = settings.get().tls();
        ChannelHandler first = tls == null || !tls.enabled() ? handler : new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new ServerTlsStarter(tls, host, port, tlsFailed, log::log), handler);
            }
        };
        HostResolver r = resolver;
        r.resolve(host, resolved -> {
            if (abandoned.getAsBoolean()) {
                return;
            }
            if (resolved.address() == null) {
                log.warning("DNS lookup failed: " + host + ": " + resolved.error());
                failed.accept(DNS_FAILED + ": " + host);
                return;
            }
            connectTo(first, new InetSocketAddress(resolved.address(), port), message -> {
                // After a failover the name points elsewhere: the next login looks it up again (runs on the loop).
                r.connectFailed(host, resolved);
                failed.accept(message);
            });
        });
    }

    private void connectTo(ChannelHandler handler, SocketAddress address, Consumer<String> failed) {
        try {
            bootstrap(address).handler(handler).connect(address).addListener((ChannelFutureListener) f -> {
                if (!f.isSuccess()) {
                    failed.accept("server connection failed: "
                            + (f.cause() == null ? "connect failed" : f.cause().getMessage()));
                }
            });
        } catch (RuntimeException e) {
            failed.accept("server connection failed: " + e.getMessage());
        }
    }

    /**
     * Sends a CancelRequest on a new connection, as PostgreSQL requires, and reports when PostgreSQL has closed
     * it, which it does once it has signalled the backend; {@code waitTimeout} (cancel_wait_timeout) bounds it.
     * {@code connected} is asked once the connection is open whether to send the cancel still; {@code done} runs
     * once when the connection is closed, failed or gave up (PgBouncer keeps the server out of use till then).
     */
    public void cancel(String addressText, int pid, int key, Duration waitTimeout, BooleanSupplier connected,
                       Runnable done) {
        resolveAddress(addressText, (address, error) -> {
            if (address == null) {
                log.warning("cancel request to " + addressText + " failed: " + error);
                done.run();
            } else {
                sendCancel(address, addressText, pid, key, waitTimeout, connected, done);
            }
        });
    }

    /**
     * A server address as {@link #describe} wrote it ({@code host:port}, {@code [v6]:port}, {@code unix:path}) to a
     * connectable address, the name looked up off the loop; {@code done} gets null and why on failure. Every
     * connect goes through here or {@link #connect}: the bootstraps refuse an unresolved address.
     */
    public void resolveAddress(String addressText, BiConsumer<SocketAddress, String> done) {
        if (addressText.startsWith("unix:")) {
            done.accept(new DomainSocketAddress(addressText.substring(5)), null);
            return;
        }
        int colon = addressText.lastIndexOf(':');
        int port;
        try {
            port = Integer.parseInt(addressText.substring(colon + 1));
        } catch (RuntimeException e) {
            done.accept(null, "bad address " + addressText);
            return;
        }
        String host = addressText.substring(0, Math.max(0, colon));
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        resolver.resolve(host, resolved -> done.accept(
                resolved.address() == null ? null : new InetSocketAddress(resolved.address(), port),
                resolved.address() == null ? "DNS lookup failed: " + resolved.error() : null));
    }

    private void sendCancel(SocketAddress address, String addressText, int pid, int key, Duration waitTimeout,
            BooleanSupplier connected, Runnable done) {
        bootstrap(address).handler(new ChannelInboundHandlerAdapter() {
            @Override
            public void channelActive(ChannelHandlerContext ctx) {
                if (!connected.getAsBoolean()) {
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
                done.run();
            }

            @Override
            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                ctx.close();
            }
        }).connect(address).addListener((ChannelFutureListener) f -> {
            if (!f.isSuccess()) {
                log.warning("cancel request to " + addressText + " failed: " + f.cause().getMessage());
                done.run();
            }
        });
    }
}

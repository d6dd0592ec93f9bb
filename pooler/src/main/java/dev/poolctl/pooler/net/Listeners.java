package dev.poolctl.pooler.net;

import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.session.ClientConnection;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The client-facing sockets: {@code listen_addr:listen_port} and {@code unix_socket_dir/.s.PGSQL.port}. */
public final class Listeners implements AutoCloseable {
    /**
     * Per-connection write buffer bounds: past the high mark the peer's reads pause (backpressure), so a slow
     * reader costs at most about this much memory.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    private final List<Channel> channels = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();

    public record Bound(List<String> addresses) {}

    public Bound bind(EventLoopGroup group, Transport transport, PoolManager manager, List<String> listenAddrs,
                      int port, String unixSocketDir, int backlog) throws IOException, InterruptedException {
        List<String> bound = new ArrayList<>();
        for (String addr : listenAddrs) {
            String host = addr.equals("*") ? "0.0.0.0" : addr;
            ServerBootstrap b = bootstrap(group, manager)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childOption(ChannelOption.SO_KEEPALIVE, manager.config().general().tcpKeepalive());
            b.option(ChannelOption.SO_BACKLOG, backlog);
            var g = manager.config().general();
            if (g.tcpKeepalive()) {
                transport.keepaliveTuning(b::childOption, g.intValue(dev.poolctl.pooler.config.Setting.TCP_KEEPCNT),
                        g.intValue(dev.poolctl.pooler.config.Setting.TCP_KEEPIDLE),
                        g.intValue(dev.poolctl.pooler.config.Setting.TCP_KEEPINTVL));
            }
            Channel ch = b.bind(new InetSocketAddress(host, port)).sync().channel();
            channels.add(ch);
            bound.add(host + ":" + ((InetSocketAddress) ch.localAddress()).getPort());
        }
        if (unixSocketDir != null && !unixSocketDir.isEmpty() && transport.supportsUnixSockets()) {
            Path file = Path.of(unixSocketDir, ".s.PGSQL." + port);
            Files.deleteIfExists(file);
            ServerBootstrap b = bootstrap(group, manager).channel(transport.serverDomainChannel());
            channels.add(b.bind(new DomainSocketAddress(file.toString())).sync().channel());
            socketFiles.add(file);
            bound.add("unix:" + file);
        }
        return new Bound(bound);
    }

    private static ServerBootstrap bootstrap(EventLoopGroup group, PoolManager manager) {
        return new ServerBootstrap()
                .group(group, manager.loop())
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast(new ClientConnection(manager.nextId(), manager, System.nanoTime()));
                    }
                });
    }

    /** Stops accepting (shutdown); existing connections stay. */
    @Override
    public void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        channels.clear();
        for (Path f : socketFiles) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // best effort: a stale socket file is removed at the next start
            }
        }
        socketFiles.clear();
    }
}

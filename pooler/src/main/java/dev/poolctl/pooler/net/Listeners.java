package dev.poolctl.pooler.net;

import dev.poolctl.pooler.PidFile;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.log.PoolerLog;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/** The client-facing sockets: {@code listen_addr:listen_port} and {@code unix_socket_dir/.s.PGSQL.port}. */
public final class Listeners implements AutoCloseable {
    /**
     * Per-connection write buffer bounds: past the high mark the peer's reads pause (backpressure), so a slow
     * reader costs at most about this much memory.
     */
    static final WriteBufferWaterMark WATER_MARK = new WriteBufferWaterMark(64 * 1024, 256 * 1024);

    /**
     * Netty's default read sizing, one instance for every client: the default config makes one per channel, 32
     * bytes of each idle client's heap. The per-channel state is in its handle; this object only holds the bounds.
     */
    static final AdaptiveRecvByteBufAllocator RECV_SIZES = new AdaptiveRecvByteBufAllocator();

    /** sun_path holds 108 bytes with the terminating NUL. */
    private static final int MAX_SOCKET_PATH = 107;

    private final List<Channel> channels = new ArrayList<>();
    private final List<Path> socketFiles = new ArrayList<>();
    private PidFile socketLock;

    public record Bound(List<String> addresses) {}

    /**
     * Binds every listen address and the unix socket; each accepted connection is served by one loop of
     * {@code childGroup} (Netty's round robin) and gets a handler from {@code newClient}, called on that loop.
     */
    public Bound bind(EventLoopGroup group, EventLoopGroup childGroup, Transport transport, GeneralSettings g,
                      PoolerLog log, Function<Channel, ChannelHandler> newClient, Supplier<TcpOptions> tcp)
            throws IOException, InterruptedException {
        List<String> listenAddrs = g.listenAddr();
        int port = g.listenPort();
        String unixSocketDir = g.unixSocketDir();
        List<String> bound = new ArrayList<>();
        for (String addr : listenAddrs) {
            String host = addr.equals("*") ? "0.0.0.0" : addr;
            ServerBootstrap b = bootstrap(group, childGroup, log, newClient, transport, tcp)
                    .channel(transport.serverChannel())
                    .option(ChannelOption.SO_REUSEADDR, true)
                    .option(ChannelOption.SO_BACKLOG, g.intValue(Setting.LISTEN_BACKLOG));
            if (g.boolValue(Setting.SO_REUSEPORT)) {
                transport.reusePort(b);
            }
            if (g.boolValue(Setting.TCP_DEFER_ACCEPT)) {
                transport.deferAccept(b);
            }
            Channel ch = b.bind(new InetSocketAddress(host, port)).sync().channel();
            channels.add(ch);
            bound.add(host + ":" + ((InetSocketAddress) ch.localAddress()).getPort());
        }
        if (unixSocketDir != null && !unixSocketDir.isEmpty() && transport.supportsUnixSockets()) {
            Path file = Path.of(unixSocketDir, ".s.PGSQL." + port);
            // As PostgreSQL: the lock file says whose socket this is, so a second pooler on the same directory and
            // port refuses instead of unlinking the first one's socket and silently taking its clients.
            socketLock = PidFile.acquire(Path.of(file + ".lock"), "unix socket lock file", log);
            // Bound under a name of this process's, then renamed into place: the path never lacks a socket (an online
            // restart replaces the old process's at once), and Netty's unlink of the bound path at close, which would
            // remove whatever socket then sits at the real path, finds nothing. Too long a name binds in place.
            Path staging = Path.of(file + "." + ProcessHandle.current().pid());
            Path bindAt = staging.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= MAX_SOCKET_PATH
                    ? staging : file;
            Files.deleteIfExists(bindAt); // ours now: a socket left by a process that died
            ServerBootstrap b = bootstrap(group, childGroup, log, newClient, transport, null)
                    .channel(transport.serverDomainChannel());
            channels.add(b.bind(new DomainSocketAddress(bindAt.toString())).sync().channel());
            setModeAndGroup(bindAt, g);
            if (bindAt != file) {
                Files.move(bindAt, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            socketFiles.add(file);
            bound.add("unix:" + file);
        }
        return new Bound(bound);
    }

    /** {@code unix_socket_mode} and {@code unix_socket_group}, applied after bind as PgBouncer does. */
    private static void setModeAndGroup(Path file, GeneralSettings g) throws IOException {
        int mode = g.intValue(Setting.UNIX_SOCKET_MODE);
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, 0400 .. 0001
        for (int i = 0; i < bits.length; i++) {
            if ((mode & (0400 >> i)) != 0) {
                perms.add(bits[i]);
            }
        }
        try {
            Files.setPosixFilePermissions(file, perms);
        } catch (IOException e) {
            throw new IOException("chmod for unix socket failed: " + e.getMessage(), e);
        }
        String group = g.raw(Setting.UNIX_SOCKET_GROUP);
        if (group != null && !group.isEmpty()) {
            try {
                GroupPrincipal principal = file.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
                Files.getFileAttributeView(file, PosixFileAttributeView.class).setGroup(principal);
            } catch (UserPrincipalNotFoundException e) {
                throw new IOException("unix_socket_group: no such group '" + group + "'", e);
            } catch (IOException e) {
                throw new IOException("chown for unix socket failed: " + e.getMessage(), e);
            }
        }
    }

    /**
     * {@code tcp}: the TCP options set on each accepted socket, read at accept so that a RELOAD or SET applies to
     * the next client (TCP_NODELAY: every Netty socket channel sets it at creation); null for the unix socket.
     */
    private static ServerBootstrap bootstrap(EventLoopGroup group, EventLoopGroup childGroup, PoolerLog log,
                                             Function<Channel, ChannelHandler> newClient, Transport transport,
                                             Supplier<TcpOptions> tcp) {
        return new ServerBootstrap()
                .group(group, childGroup)
                .handler(new AcceptErrors(log))
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, WATER_MARK)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECV_SIZES)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        if (tcp != null) {
                            transport.tcpOptions(ch.config()::setOption, tcp.get());
                        }
                        ch.pipeline().addLast(newClient.apply(ch));
                    }
                });
    }

    /**
     * Stops accepting on TCP; the unix socket stays until {@link #close}: a shutdown that waits (PgBouncer's
     * {@code cleanup_tcp_sockets}) keeps the console reachable there, while a load balancer sees the port closed.
     */
    public synchronized void closeTcp() {
        channels.removeIf(ch -> {
            if (ch.localAddress() instanceof DomainSocketAddress) {
                return false;
            }
            ch.close().syncUninterruptibly();
            return true;
        });
    }

    /** Stops accepting (shutdown); existing connections stay. Called from the shutdown thread and from close. */
    @Override
    public synchronized void close() {
        for (Channel ch : channels) {
            ch.close().syncUninterruptibly();
        }
        channels.clear();
        // After an online restart (start -R) the socket at our path is the new process's: it holds the lock file now.
        boolean ours = socketLock == null || socketLock.stillOurs();
        for (Path f : ours ? socketFiles : List.<Path>of()) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException ignored) {
                // best effort: a stale socket file is removed at the next start
            }
        }
        socketFiles.clear();
        if (socketLock != null) {
            socketLock.close();
            socketLock = null;
        }
    }
}

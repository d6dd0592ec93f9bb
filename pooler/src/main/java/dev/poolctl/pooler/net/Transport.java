package dev.poolctl.pooler.net;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringChannelOption;
import io.netty.channel.uring.IoUringDomainSocketChannel;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerDomainSocketChannel;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import java.io.IOException;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/**
 * The kernel interface of the event loops ({@code io_method}): io_uring where the kernel allows it (fewer system
 * calls and wake-ups per message: measured, it roughly halves the pooler's CPU per transaction), native epoll, or
 * Java NIO elsewhere. io_uring and epoll also carry unix sockets.
 */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends Channel> channel,
        Class<? extends ServerChannel> serverDomainChannel,
        Class<? extends Channel> domainChannel) {

    private static final String POLL_MULTISHOT = "io.netty.iouring.pollAddMultishotEnabled";

    /**
     * The transport {@code io_method} names; {@code auto} falls back quietly (a container whose seccomp profile
     * blocks io_uring gets epoll), an explicit choice the platform cannot run is refused with the reason.
     */
    public static Transport of(String ioMethod) {
        boolean auto = ioMethod.equals("auto");
        if (System.getProperty(POLL_MULTISHOT) == null) {
            // Netty 4.2.18's multishot POLL_ADD can lose a socket's end after a cancelled read (netty#17049): a server
            // connection whose PostgreSQL had crashed stayed open, and its client waited for ever (RestartIT, about
            // one run in three). Single-shot polls do not. Set before Netty's IoUring reads it, unless chosen.
            System.setProperty(POLL_MULTISHOT, "false");
        }
        if (auto || ioMethod.equals("io_uring")) {
            if (IoUring.isAvailable()) {
                return new Transport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class,
                        IoUringSocketChannel.class, IoUringServerDomainSocketChannel.class,
                        IoUringDomainSocketChannel.class);
            }
            if (!auto) {
                throw new IllegalArgumentException("io_method: io_uring is not available here: "
                        + IoUring.unavailabilityCause());
            }
        }
        if (auto || ioMethod.equals("epoll")) {
            if (Epoll.isAvailable()) {
                return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                        EpollSocketChannel.class, EpollServerDomainSocketChannel.class, EpollDomainSocketChannel.class);
            }
            if (!auto) {
                throw new IllegalArgumentException("io_method: epoll is not available here: "
                        + Epoll.unavailabilityCause());
            }
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                null, null);
    }

    /** The uid of the process at the other end of a unix socket (SO_PEERCRED), or -1 for any other channel. */
    public static int peerUid(Channel channel) throws IOException {
        if (channel instanceof EpollDomainSocketChannel epoll) {
            return epoll.peerCredentials().uid();
        }
        if (channel instanceof IoUringDomainSocketChannel uring) {
            return uring.peerCredentials().uid();
        }
        return -1;
    }

    /** Sets a channel option: {@code Bootstrap::option} or {@code ServerBootstrap::childOption}. */
    public interface OptionSetter {
        <T> Object set(io.netty.channel.ChannelOption<T> option, T value);
    }

    /** {@link TcpOptions} on a socket; the native transports set the keepalive tuning and the user timeout. */
    public void tcpOptions(OptionSetter option, TcpOptions t) {
        option.set(io.netty.channel.ChannelOption.SO_KEEPALIVE, t.keepalive());
        if (t.socketBuffer() > 0) {
            option.set(io.netty.channel.ChannelOption.SO_SNDBUF, t.socketBuffer());
            option.set(io.netty.channel.ChannelOption.SO_RCVBUF, t.socketBuffer());
        }
        boolean uring = name.equals("io_uring");
        if (!uring && !name.equals("epoll")) {
            return;
        }
        if (t.keepalive() && t.keepCount() > 0) {
            option.set(uring ? IoUringChannelOption.TCP_KEEPCNT : EpollChannelOption.TCP_KEEPCNT, t.keepCount());
        }
        if (t.keepalive() && t.keepIdle() > 0) {
            option.set(uring ? IoUringChannelOption.TCP_KEEPIDLE : EpollChannelOption.TCP_KEEPIDLE, t.keepIdle());
        }
        if (t.keepalive() && t.keepInterval() > 0) {
            option.set(uring ? IoUringChannelOption.TCP_KEEPINTVL : EpollChannelOption.TCP_KEEPINTVL,
                    t.keepInterval());
        }
        if (t.userTimeoutMillis() > 0) {
            option.set(uring ? IoUringChannelOption.TCP_USER_TIMEOUT : EpollChannelOption.TCP_USER_TIMEOUT,
                    t.userTimeoutMillis());
        }
    }

    /**
     * tcp_defer_accept: a connection is accepted once its first bytes (a StartupMessage, an SSLRequest) have
     * arrived, not at the handshake, so a connection that sends nothing never takes a client slot; 45 s, as
     * PgBouncer hardcodes. Linux's native transports only.
     */
    public void deferAccept(io.netty.bootstrap.ServerBootstrap b) {
        if (name.equals("io_uring")) {
            b.option(IoUringChannelOption.TCP_DEFER_ACCEPT, 45);
        } else if (name.equals("epoll")) {
            b.option(EpollChannelOption.TCP_DEFER_ACCEPT, 45);
        }
    }

    /**
     * {@code so_reuseport}: several processes listen on one port (each binds it with the option) and the kernel
     * spreads new connections over them (PgBouncer's way to run on every core, and rolling restarts on one port).
     */
    public void reusePort(io.netty.bootstrap.ServerBootstrap b) {
        if (name.equals("nio")) {
            b.option(io.netty.channel.socket.nio.NioChannelOption.of(java.net.StandardSocketOptions.SO_REUSEPORT), true);
        } else {
            b.option(io.netty.channel.unix.UnixChannelOption.SO_REUSEPORT, true);
        }
    }

    public boolean supportsUnixSockets() {
        return domainChannel != null;
    }

    public EventLoopGroup newGroup(int threads) {
        return new MultiThreadIoEventLoopGroup(threads, ioHandlerFactory);
    }

    /** {@code threads} loops; {@code chooser} picks the loop of each new channel (accepted connections). */
    public EventLoopGroup newGroup(int threads, LoopChooser chooser) {
        return new MultiThreadIoEventLoopGroup(threads, null, chooser, ioHandlerFactory);
    }
}

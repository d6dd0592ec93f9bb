package dev.poolctl.pooler.net;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;

/** Native epoll where the platform has it (fewer copies, unix sockets), NIO elsewhere. */
public record Transport(
        String name,
        IoHandlerFactory ioHandlerFactory,
        Class<? extends ServerChannel> serverChannel,
        Class<? extends Channel> channel,
        Class<? extends ServerChannel> serverDomainChannel,
        Class<? extends Channel> domainChannel) {

    public static Transport best() {
        if (Epoll.isAvailable()) {
            return new Transport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class,
                    EpollSocketChannel.class, EpollServerDomainSocketChannel.class, EpollDomainSocketChannel.class);
        }
        return new Transport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class, NioSocketChannel.class,
                null, null);
    }

    /**
     * PgBouncer's tcp_keepcnt/tcp_keepidle/tcp_keepintvl (0 = the OS default); only the epoll transport can set
     * them per socket.
     */
    public void keepaliveTuning(
            java.util.function.BiConsumer<io.netty.channel.ChannelOption<Integer>, Integer> option,
            int count, int idleSeconds, int intervalSeconds) {
        if (!name.equals("epoll")) {
            return;
        }
        if (count > 0) option.accept(io.netty.channel.epoll.EpollChannelOption.TCP_KEEPCNT, count);
        if (idleSeconds > 0) option.accept(io.netty.channel.epoll.EpollChannelOption.TCP_KEEPIDLE, idleSeconds);
        if (intervalSeconds > 0) option.accept(io.netty.channel.epoll.EpollChannelOption.TCP_KEEPINTVL, intervalSeconds);
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

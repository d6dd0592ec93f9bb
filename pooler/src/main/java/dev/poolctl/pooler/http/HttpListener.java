package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.function.Supplier;

/**
 * The HTTP listener on {@code http_listen_addr:http_listen_port}. It runs on the daemon's event loops, Netty's HTTP
 * codec in front of {@link HttpHandler}: one threading model for the whole process (no second pool of threads to
 * size, and pools are read on their loops exactly as the console reads them), bounded requests (line 4 KiB,
 * headers 8 KiB, body 1 KiB, refused by the decoder before they are buffered), keep-alive for scrapers. It is
 * not closed by a drain or a shutdown that waits, only when the process exits: a scrape and the probes answer
 * to the end.
 */
public final class HttpListener implements AutoCloseable {
    private static final int MAX_LINE = 4096;
    private static final int MAX_HEADERS = 8192;
    private static final int MAX_BODY = 1024;
    /** A keep-alive connection quiet for this long is closed: an idle scraper reconnects, a hoarder loses it. */
    private static final int IDLE_SECONDS = 60;
    /** HTTP connections open at once at most (a Prometheus, probes, an operator's curl). */
    static final int MAX_CONNECTIONS = 64;

    private final Channel channel;
    private final String address;

    private HttpListener(Channel channel, String address) {
        this.channel = channel;
        this.address = address;
    }

    /**
     * Binds {@code addr:port} ({@code *} = every address) on {@code group}; with port 0 nothing is bound and the
     * listener is off. {@code stopping}: why the pooler no longer accepts clients (a drain, a shutdown), null while
     * it does; /readyz answers 503 with it.
     */
    public static HttpListener start(EventLoopGroup group, Class<? extends ServerChannel> serverChannel, String addr,
                                     int port, ShowTables tables, Supplier<String> stopping)
            throws IOException, InterruptedException {
        if (port == 0) {
            return new HttpListener(null, null);
        }
        String host = addr.equals("*") ? "0.0.0.0" : addr; // never empty: SupportedSettings refuses that
        java.util.concurrent.atomic.AtomicInteger open = new java.util.concurrent.atomic.AtomicInteger();
        ServerBootstrap b = new ServerBootstrap()
                .group(group, group)
                .channel(serverChannel)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        // Scrapers and probes need a few connections; past the cap a new one is closed at once, so
                        // connections nobody reads from cannot pile up (they count in no max_client_conn).
                        if (open.incrementAndGet() > MAX_CONNECTIONS) {
                            open.decrementAndGet();
                            ch.close();
                            return;
                        }
                        ch.closeFuture().addListener(f -> open.decrementAndGet());
                        ch.pipeline().addLast(new ReadTimeoutHandler(IDLE_SECONDS),
                                new HttpServerCodec(new HttpDecoderConfig().setMaxInitialLineLength(MAX_LINE)
                                        .setMaxHeaderSize(MAX_HEADERS).setMaxChunkSize(MAX_BODY)),
                                new HttpObjectAggregator(MAX_BODY, true),
                                new HttpHandler(tables, stopping));
                    }
                });
        try {
            Channel ch = b.bind(new InetSocketAddress(host, port)).sync().channel();
            return new HttpListener(ch, "http://" + host + ":" + ((InetSocketAddress) ch.localAddress()).getPort());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) { // Netty's sync() rethrows the bind error as it is, checked or not
            throw new IOException("cannot listen on http_listen_addr " + host + ", http_listen_port " + port + ": "
                    + e.getMessage(), e);
        }
    }

    /** {@code http://host:port} as bound; null when off. */
    public String address() {
        return address;
    }

    /** Stops accepting; does not wait (the daemon closes from a loop, and then stops the loops). */
    @Override
    public void close() {
        if (channel != null) {
            channel.close();
        }
    }
}

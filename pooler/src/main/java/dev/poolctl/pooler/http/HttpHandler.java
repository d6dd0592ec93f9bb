package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Answers GET and HEAD of /metrics, /stats, /healthz and /readyz; anything else gets 404 or 405, a request the
 * decoder refused (a line or header over the limits) gets 414, 431 or 400 and the connection is closed. /metrics,
 * /stats and /readyz are answered once every loop has given its part, so nothing here waits on a loop: answers are
 * written in request order (HTTP/1.1 pipelining) when they are ready.
 */
final class HttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    /** Pipelined requests not yet answered, per connection: past this the client is not a scraper. */
    private static final int MAX_IN_FLIGHT = 16;
    private static final String TEXT = "text/plain; charset=utf-8";

    private record Answer(HttpResponseStatus status, String contentType, String body) {}

    private final ShowTables tables;
    /** Why the pooler no longer accepts clients ("draining", "shutting down"); null while it does. */
    private final Supplier<String> stopping;
    /** Completes once the previous answer on this connection is written (confined to the channel's loop). */
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);
    private int inFlight;

    HttpHandler(ShowTables tables, Supplier<String> stopping) {
        this.tables = tables;
        this.stopping = stopping;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (request.decoderResult().isFailure()) {
            Throwable cause = request.decoderResult().cause();
            HttpResponseStatus status = cause instanceof TooLongHttpHeaderException
                    ? HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
                    : cause instanceof TooLongHttpLineException ? HttpResponseStatus.REQUEST_URI_TOO_LONG
                    : HttpResponseStatus.BAD_REQUEST;
            // The decoder discards the rest of this connection's input: answer and close.
            answer(ctx, CompletableFuture.completedFuture(text(status, status.reasonPhrase())), false, false, false);
            return;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        boolean http10 = request.protocolVersion().equals(HttpVersion.HTTP_1_0);
        if (!head && !request.method().equals(HttpMethod.GET)) {
            answer(ctx, CompletableFuture.completedFuture(text(HttpResponseStatus.METHOD_NOT_ALLOWED,
                    "only GET and HEAD")), false, keepAlive, http10);
            return;
        }
        String uri = request.uri();
        int query = uri.indexOf('?');
        String path = query < 0 ? uri : uri.substring(0, query);
        CompletableFuture<Answer> answer = switch (path) {
            case "/metrics" -> metrics();
            case "/stats" -> stats();
            case "/healthz" -> CompletableFuture.completedFuture(text(HttpResponseStatus.OK, "ok"));
            case "/readyz" -> ready();
            default -> CompletableFuture.completedFuture(text(HttpResponseStatus.NOT_FOUND,
                    "not found: /metrics, /stats, /healthz, /readyz"));
        };
        answer(ctx, answer, head, keepAlive, http10);
    }

    private CompletableFuture<Answer> metrics() {
        Map<String, CompletableFuture<ShowTables.Result>> asked = new LinkedHashMap<>();
        try {
            MetricsPage.SHOWS.forEach(what -> asked.put(what, tables.show(what)));
        } catch (RuntimeException stopping) {
            return CompletableFuture.completedFuture(metricsPage(ExporterMetrics.down()));
        }
        return CompletableFuture.allOf(asked.values().toArray(CompletableFuture[]::new)).thenApply(done -> {
            Map<String, ShowTables.Result> shows = new LinkedHashMap<>();
            asked.forEach((what, result) -> shows.put(what, result.join()));
            return metricsPage(MetricsPage.write(shows, tables.clientLoginFailures()));
        }).exceptionally(e -> metricsPage(ExporterMetrics.down()));
    }

    private static Answer metricsPage(String body) {
        return new Answer(HttpResponseStatus.OK, PrometheusText.CONTENT_TYPE, body);
    }

    /**
     * 200 while accepting clients and able to log in to PostgreSQL; else 503 with the reason: {@code draining},
     * {@code shutting down}, or {@code no pool can log in: <the latest login error>}. Read from state the pools
     * already hold (no login per probe).
     */
    private CompletableFuture<Answer> ready() {
        String notAccepting = stopping.get();
        if (notAccepting != null) {
            return CompletableFuture.completedFuture(text(HttpResponseStatus.SERVICE_UNAVAILABLE, notAccepting));
        }
        return tables.whyNoPoolCanLogIn()
                .thenApply(why -> why == null ? text(HttpResponseStatus.OK, "ok")
                        : text(HttpResponseStatus.SERVICE_UNAVAILABLE, why))
                .exceptionally(e -> text(HttpResponseStatus.SERVICE_UNAVAILABLE, "shutting down"));
    }

    private CompletableFuture<Answer> stats() {
        try {
            CompletableFuture<ShowTables.Result> pools = tables.show("pools");
            CompletableFuture<ShowTables.Result> stats = tables.show("stats");
            return pools.thenCombine(stats, (p, s) -> new Answer(HttpResponseStatus.OK, "application/json",
                    StatsJson.write(Instant.now().getEpochSecond(), p, s)))
                    .exceptionally(e -> text(HttpResponseStatus.SERVICE_UNAVAILABLE, "the pooler is shutting down"));
        } catch (RuntimeException stopping) {
            return CompletableFuture.completedFuture(text(HttpResponseStatus.SERVICE_UNAVAILABLE,
                    "the pooler is shutting down"));
        }
    }

    private static Answer text(HttpResponseStatus status, String body) {
        return new Answer(status, TEXT, body + "\n");
    }

    /** Writes {@code answer} on the channel's loop once it and every earlier answer on this connection are done. */
    private void answer(ChannelHandlerContext ctx, CompletableFuture<Answer> answer, boolean head, boolean keepAlive,
                        boolean http10) {
        if (++inFlight > MAX_IN_FLIGHT) {
            ctx.close();
            return;
        }
        previous = answer.thenCombine(previous, (a, written) -> a)
                .thenAcceptAsync(a -> write(ctx, a, head, keepAlive, http10), ctx.executor());
    }

    private void write(ChannelHandlerContext ctx, Answer a, boolean head, boolean keepAlive, boolean http10) {
        inFlight--;
        if (!ctx.channel().isActive()) {
            return;
        }
        byte[] body = a.body().getBytes(StandardCharsets.UTF_8);
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, a.status(),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType())
                .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length)
                .set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
        if (a.status().equals(HttpResponseStatus.METHOD_NOT_ALLOWED)) {
            response.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
        }
        if (!keepAlive) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        } else if (http10) {
            response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
        ChannelFuture written = ctx.writeAndFlush(response);
        if (!keepAlive) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // a reset, a read timeout, a client gone: nothing to tell anyone, the connection is done
        ctx.close();
    }
}

package dev.poolctl.pooler.session;

import dev.poolctl.pooler.admin.AdminConsole;
import dev.poolctl.pooler.admin.ConsoleClient;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.protocol.Messages;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.protocol.PgStreamHandler;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;

/**
 * A client's console phase: logged in to the virtual database pgbouncer, its simple queries are answered by the
 * {@link AdminConsole}. Extended-protocol messages get PgBouncer's error.
 */
final class ConsoleSession implements ConsoleClient {
    private final ClientConnection client;
    private final ChannelHandlerContext ctx;
    private final AdminConsole console;
    /** admin_users (or the peer-authenticated pgbouncer user): every command; else stats_users: SHOW only. */
    private final boolean admin;
    /** A query's answer is deferred: later queries wait, so answers keep their order. */
    private boolean answerPending;
    private boolean queried;

    ConsoleSession(ClientConnection client, ChannelHandlerContext ctx, AdminConsole console, boolean admin) {
        this.client = client;
        this.ctx = ctx;
        this.console = console;
        this.admin = admin;
    }

    int message(byte type, ByteBuf frame) {
        if (answerPending) {
            return PgStreamHandler.STOP; // answers go out in the order of the queries: read on after send()
        }
        switch (type) {
            case PgProtocol.QUERY -> {
                String sql = Messages.passwordText(frame);
                if (!queried) {
                    queried = true;
                    console.firstQuery();
                }
                ByteBuf out = ctx.alloc().buffer(1024);
                console.execute(sql, this, out);
                if (out.isReadable()) {
                    ClientOutput.reply(ctx, out);
                } else {
                    out.release(); // deferred: PAUSE and WAIT_CLOSE answer when the pools are done
                    answerPending = true;
                }
            }
            case PgProtocol.TERMINATE -> client.close("client close request");
            case PgProtocol.PARSE, PgProtocol.BIND, PgProtocol.EXECUTE ->
                    client.fail(PgProtocol.PROTOCOL_VIOLATION, "extended query protocol not supported by admin console");
            default -> client.fail(PgProtocol.PROTOCOL_VIOLATION,
                    "unsupported packet type for admin console: " + (char) type);
        }
        return PgStreamHandler.DROP;
    }

    @Override
    public boolean isAdmin() {
        return admin;
    }

    @Override
    public boolean isOpen() {
        return client.state() == ClientState.ADMIN && ctx.channel().isOpen();
    }

    @Override
    public ByteBufAllocator alloc() {
        return ctx.alloc();
    }

    @Override
    public void send(ByteBuf answer) {
        ClientOutput.reply(ctx, answer);
        if (answerPending) {
            answerPending = false;
            client.resume();
        }
    }

    @Override
    public void execute(Runnable task) {
        try {
            ctx.executor().execute(task);
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            // the loop is gone, and the client with it
        }
    }
}

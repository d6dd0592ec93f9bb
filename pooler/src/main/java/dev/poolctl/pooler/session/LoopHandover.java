package dev.poolctl.pooler.session;

import dev.poolctl.pooler.pool.PoolManager;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;

/**
 * Moves an authenticated client to the event loop of its database's pools: the channel is deregistered from
 * the loop that accepted it and registered on the pools' loop, so every later byte of the client is handled
 * there, with its pool and servers, without crossing threads. Bytes the client pipelined stay in its handler
 * and are read on the new loop.
 */
final class LoopHandover {
    private LoopHandover() {}

    /** Runs {@code then} on {@code home}'s loop once the client is there; a failed move closes the client. */
    static void move(ClientConnection client, PoolManager home, Runnable then) {
        if (!(home.loop() instanceof EventLoop target)) {
            throw new IllegalStateException("a pool manager without an event loop");
        }
        Channel ch = client.channel();
        client.manager().departing(client);
        ch.config().setAutoRead(false);
        ch.deregister().addListener(left -> {
            if (!left.isSuccess()) {
                client.manager().log().warning(client.prefix() + " cannot leave its event loop: " + left.cause());
                fail(client, ch);
                return;
            }
            target.register(ch).addListener(registered -> {
                if (!registered.isSuccess()) {
                    fail(client, ch); // the target loop is stopping: so is the pooler
                    return;
                }
                client.arrivedOn(home);
                ch.config().setAutoRead(true);
                then.run();
            });
        });
    }

    /** The channel belongs to no loop: closed without one, and the client's slot given back. */
    private static void fail(ClientConnection client, Channel ch) {
        ch.unsafe().closeForcibly();
        client.closed("event loop hand-over failed");
    }
}

package dev.poolctl.pooler;

import dev.poolctl.pooler.admin.AdminConsole;
import dev.poolctl.pooler.admin.AdminControl;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.ServerConnector;
import dev.poolctl.pooler.net.Transport;
import dev.poolctl.pooler.pool.Clock;
import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.session.ServerFactory;
import io.netty.channel.EventLoop;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * What one event loop runs: its pools and the clients on it ({@link PoolManager}), its console for the console
 * clients it accepted, and its connector to PostgreSQL (with its own DNS cache, confined to the loop).
 */
final class LoopShard {
    private final EventLoop loop;
    private final PoolManager manager;
    private final AdminConsole console;
    private final ServerConnector connector;
    /** SHUTDOWN WAIT_FOR_SERVERS: no server of this loop is active any more (written by its janitor). */
    volatile boolean serversIdle;
    /**
     * DRAIN: this loop's clients not yet closed (-1 until its janitor has counted), its console and cancel
     * connections, and its active servers.
     */
    volatile int drainClientsLeft = -1;
    volatile int drainOthers;
    volatile int drainServersActive;

    private LoopShard(EventLoop loop, PoolManager manager, AdminConsole console, ServerConnector connector) {
        this.loop = loop;
        this.manager = manager;
        this.console = console;
        this.connector = connector;
    }

    /** {@code inspecting}: true on a test thread that holds every loop (PoolerDaemon.inLoop). */
    static LoopShard create(EventLoop loop, Transport transport, PoolerConfig config, Userlist userlist, PoolerLog log,
                            GlobalState global, Supplier<ServerConnector.Settings> connectSettings,
                            AdminControl control, BooleanSupplier inspecting) {
        ServerConnector connector = new ServerConnector(loop, transport, log, connectSettings);
        PoolManager[] manager = new PoolManager[1];
        manager[0] = new PoolManager(config, userlist, log, Clock.SYSTEM,
                () -> loop.inEventLoop() || inspecting.getAsBoolean(), loop,
                new ServerFactory(connector, () -> manager[0].config().general()), global);
        return new LoopShard(loop, manager[0], new AdminConsole(manager[0], control), connector);
    }

    EventLoop loop() { return loop; }
    PoolManager manager() { return manager; }
    AdminConsole console() { return console; }
    ServerConnector connector() { return connector; }
}

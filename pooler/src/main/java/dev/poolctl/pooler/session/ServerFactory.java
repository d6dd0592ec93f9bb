package dev.poolctl.pooler.session;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.net.ServerConnector;
import dev.poolctl.pooler.pool.CancelCallback;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolServer;
import dev.poolctl.pooler.pool.ServerLauncher;
import java.util.function.Supplier;

/** The pools' servers are {@link ServerConnection}s, connected and canceled through the {@link ServerConnector}. */
public final class ServerFactory implements ServerLauncher {
    private final ServerConnector connector;
    private final Supplier<GeneralSettings> settings;

    public ServerFactory(ServerConnector connector, Supplier<GeneralSettings> settings) {
        this.connector = connector;
        this.settings = settings;
    }

    @Override
    public PoolServer launch(Pool pool, Login login) {
        String address = ServerConnector.describe(login.host(), login.port(), settings.get().unixSocketDir());
        ServerLogin serverLogin = new ServerLogin(login.user(), address, login.startupParameters(), login.secret(),
                login.scramClientKey());
        return new ServerConnection(login.id(), pool, serverLogin, login.host(), login.port(), connector,
                System.nanoTime());
    }

    @Override
    public void cancel(PoolServer target, CancelCallback callback) {
        connector.cancel(target.address(), target.backendPid(), target.backendKey(), settings.get().cancelWaitTimeout(),
                callback::connected, callback::done);
    }

    @Override
    public void forwardCancel(String address, int pid, int secret, Runnable done) {
        connector.cancel(address, pid, secret, settings.get().cancelWaitTimeout(), () -> true, done);
    }
}

package dev.poolctl.pooler;

import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.Listeners;
import dev.poolctl.pooler.net.ServerConnector;
import dev.poolctl.pooler.net.Transport;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The daemon's lifecycle: load the config, bind the listeners, run the janitor, reload and shut down
 * (PgBouncer's main.c). One event loop carries every client and server connection, as PgBouncer's one thread.
 */
public final class PoolerDaemon implements AutoCloseable {
    /** How the daemon stops, after PgBouncer's SHUTDOWN variants. */
    public enum ShutdownMode { IMMEDIATE, WAIT_FOR_SERVERS, WAIT_FOR_CLIENTS }

    private static final Set<AuthType> SUPPORTED_AUTH =
            EnumSet.of(AuthType.TRUST, AuthType.ANY, AuthType.PLAIN, AuthType.MD5, AuthType.SCRAM_SHA_256);
    private static final long JANITOR_MILLIS = 200;

    private final Path configFile;
    private final PoolerLog log;
    private final EventLoopGroup workerGroup;
    private final EventLoop loop;
    private final PoolManager manager;
    private final Listeners listeners = new Listeners();
    private final List<String> boundAddresses;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final ScheduledFuture<?> janitor;
    private final Path pidfile;
    private volatile ShutdownMode shutdownMode;
    /** {@code start --pidfile}: kept across reloads, which re-read the ini. */
    private volatile Path pidfileOverride;

    private PoolerDaemon(Path configFile, PoolerConfig config, Userlist userlist, PoolerLog log) throws IOException, InterruptedException {
        this.configFile = configFile;
        this.log = log;
        GeneralSettings g = config.general();
        Transport transport = Transport.best();
        // One loop accepts and serves, as PgBouncer's one thread: no cross-thread hand-off per new connection.
        workerGroup = transport.newGroup(1);
        loop = workerGroup.next();
        ServerConnector connector = new ServerConnector(loop, transport, log, () -> {
            GeneralSettings now = manager().config().general();
            return new ServerConnector.Settings(now.serverConnectTimeout(), now.tcpKeepalive(),
                    now.intValue(Setting.TCP_KEEPCNT), now.intValue(Setting.TCP_KEEPIDLE),
                    now.intValue(Setting.TCP_KEEPINTVL), now.unixSocketDir().isEmpty() ? "/tmp" : now.unixSocketDir());
        });
        manager = new PoolManager(config, userlist, log, loop, connector);
        manager.adminControl(new dev.poolctl.pooler.admin.AdminControl() {
            @Override
            public void reload() throws Exception {
                PoolerDaemon.this.reloadNow();
            }

            @Override
            public void shutdown(String mode) {
                PoolerDaemon.this.shutdown(mode == null ? ShutdownMode.IMMEDIATE
                        : mode.equals("WAIT_FOR_SERVERS") ? ShutdownMode.WAIT_FOR_SERVERS : ShutdownMode.WAIT_FOR_CLIENTS);
            }
        });
        pidfile = g.pidfile() == null ? null : Path.of(g.pidfile());
        writePidfile();
        try {
            boundAddresses = listeners.bind(workerGroup, transport, manager, g.listenAddr(), g.listenPort(),
                    g.unixSocketDir(), 128).addresses();
        } catch (IOException | RuntimeException e) {
            close();
            throw new IOException("cannot listen on port " + g.listenPort() + ": " + e.getMessage(), e);
        }
        janitor = loop.scheduleAtFixedRate(this::tick, JANITOR_MILLIS, JANITOR_MILLIS, TimeUnit.MILLISECONDS);
        long statsMillis = Math.max(1, g.statsPeriod().toMillis());
        loop.scheduleAtFixedRate(manager::statsTick, statsMillis, statsMillis, TimeUnit.MILLISECONDS);
        for (String a : boundAddresses) {
            log.log("listening on " + a);
        }
        log.log("process up: poolctl " + Version.VERSION + " (" + transport.name() + ")");
    }

    private PoolManager manager() {
        return manager;
    }

    /** Loads {@code configFile} and starts serving; throws with a message naming what is wrong. */
    public static PoolerDaemon start(Path configFile, boolean quiet, int verbose) throws ConfigException, IOException, InterruptedException {
        return start(configFile, quiet, verbose, null);
    }

    /** As {@link #start(Path, boolean, int)}, with the pidfile given on the command line instead of the ini's. */
    public static PoolerDaemon start(Path configFile, boolean quiet, int verbose, Path pidfileOverride)
            throws ConfigException, IOException, InterruptedException {
        PoolerLog log = new PoolerLog(!quiet, verbose);
        Loaded loaded = load(configFile, log, pidfileOverride);
        GeneralSettings g = loaded.config().general();
        if (g.logfile() != null && !g.logfile().isEmpty()) {
            log.logfile(Path.of(g.logfile()));
        }
        PoolerDaemon daemon = new PoolerDaemon(configFile, loaded.config(), loaded.userlist(), log);
        daemon.pidfileOverride = pidfileOverride;
        return daemon;
    }

    private record Loaded(PoolerConfig config, Userlist userlist) {}

    private static Loaded load(Path configFile, PoolerLog log, Path pidfileOverride) throws ConfigException, IOException {
        IniLoader.LoadResult result = IniLoader.load(configFile);
        result.warnings().forEach(log::warning);
        PoolerConfig config = result.config();
        if (pidfileOverride != null) {
            config = new PoolerConfig(config.file(), config.general().with(Setting.PIDFILE, pidfileOverride.toString()),
                    config.databases(), config.users());
        }
        checkSupported(configFile, config);
        warnNotApplied(config, log);
        Userlist userlist = loadUserlist(configFile, config);
        userlist.warnings().forEach(log::warning);
        return new Loaded(config, userlist);
    }

    /**
     * Refuses what this version cannot run with: an auth_type it does not implement, or a TLS mode that requires
     * TLS (which must not silently run in plain text). {@code poolctl config check} reports the same.
     */
    public static void checkSupported(Path configFile, PoolerConfig config) throws ConfigException {
        AuthType auth = config.general().authType();
        if (!SUPPORTED_AUTH.contains(auth)) {
            throw new ConfigException(configFile + ": [pgbouncer] auth_type: '" + auth + "' is not supported yet");
        }
        // TLS is not built yet: a config that demands it must not silently run in plain text.
        String clientTls = config.general().raw(Setting.CLIENT_TLS_SSLMODE);
        if (!Set.of("disable", "allow", "prefer").contains(clientTls)) {
            throw new ConfigException(configFile + ": [pgbouncer] client_tls_sslmode: '" + clientTls
                    + "' needs TLS, which poolctl does not support yet (use disable, allow or prefer)");
        }
        String serverTls = config.general().raw(Setting.SERVER_TLS_SSLMODE);
        if (!Set.of("disable", "allow", "prefer").contains(serverTls)) {
            throw new ConfigException(configFile + ": [pgbouncer] server_tls_sslmode: '" + serverTls
                    + "' needs TLS, which poolctl does not support yet (use disable, allow or prefer)");
        }
    }

    /**
     * Where the daemon reads {@code auth_file}: as written, or, when that relative path does not exist, relative
     * to the config file's directory. Null when auth_file is not set.
     */
    public static Path resolveAuthFile(Path configFile, PoolerConfig config) {
        String authFile = config.general().authFile();
        if (authFile == null || authFile.isEmpty()) {
            return null;
        }
        Path p = Path.of(authFile);
        if (!p.isAbsolute() && configFile.getParent() != null && !Files.exists(p)) {
            p = configFile.getParent().resolve(p);
        }
        return p;
    }

    /** The auth_file as the daemon loads it (empty when not set); unreadable is a config error, as at start. */
    public static Userlist loadUserlist(Path configFile, PoolerConfig config) throws ConfigException {
        Path p = resolveAuthFile(configFile, config);
        if (p == null) {
            return Userlist.parse("");
        }
        try {
            return Userlist.load(p);
        } catch (IOException e) {
            throw new ConfigException(configFile + ": [pgbouncer] auth_file: cannot read " + p + ": " + e.getMessage());
        }
    }

    /** The [pgbouncer] settings this version applies; the rest are read, validated and reported when set. */
    private static final Set<Setting> APPLIED = EnumSet.of(
            Setting.LISTEN_ADDR, Setting.LISTEN_PORT, Setting.UNIX_SOCKET_DIR, Setting.AUTH_TYPE, Setting.AUTH_FILE,
            Setting.POOL_MODE, Setting.MAX_CLIENT_CONN, Setting.DEFAULT_POOL_SIZE, Setting.MIN_POOL_SIZE,
            Setting.RESERVE_POOL_SIZE, Setting.RESERVE_POOL_TIMEOUT, Setting.MAX_DB_CONNECTIONS,
            Setting.MAX_USER_CONNECTIONS, Setting.SERVER_RESET_QUERY, Setting.SERVER_RESET_QUERY_ALWAYS,
            Setting.SERVER_CHECK_QUERY, Setting.SERVER_CHECK_DELAY, Setting.SERVER_LIFETIME,
            Setting.SERVER_IDLE_TIMEOUT, Setting.SERVER_CONNECT_TIMEOUT, Setting.SERVER_LOGIN_RETRY,
            Setting.CLIENT_LOGIN_TIMEOUT, Setting.CLIENT_IDLE_TIMEOUT, Setting.QUERY_TIMEOUT,
            Setting.QUERY_WAIT_TIMEOUT, Setting.IDLE_TRANSACTION_TIMEOUT, Setting.IGNORE_STARTUP_PARAMETERS,
            Setting.LOG_CONNECTIONS, Setting.LOG_DISCONNECTIONS, Setting.LOG_POOLER_ERRORS, Setting.LOGFILE,
            Setting.PIDFILE, Setting.MAX_PACKET_SIZE, Setting.TCP_KEEPALIVE, Setting.TCP_KEEPCNT,
            Setting.TCP_KEEPIDLE, Setting.TCP_KEEPINTVL, Setting.TRACK_EXTRA_PARAMETERS,
            Setting.SERVER_ROUND_ROBIN, Setting.VERBOSE, Setting.STATS_PERIOD, Setting.LOG_STATS, Setting.ADMIN_USERS,
            Setting.STATS_USERS, Setting.CLIENT_TLS_SSLMODE, Setting.SERVER_TLS_SSLMODE,
            Setting.MAX_PREPARED_STATEMENTS, Setting.CANCEL_WAIT_TIMEOUT,
            Setting.AUTODB_IDLE_TIMEOUT);

    /** The settings set to a non-default value that this version reads and validates but does not act on. */
    public static List<Setting> settingsNotApplied(PoolerConfig config) {
        List<Setting> ignored = new java.util.ArrayList<>();
        for (Setting setting : Setting.values()) {
            String value = config.general().raw(setting);
            if (!APPLIED.contains(setting) && value != null && !value.equals(setting.normalize(setting.defaultValue()))) {
                ignored.add(setting);
            }
        }
        return ignored;
    }

    private static void warnNotApplied(PoolerConfig config, PoolerLog log) {
        List<String> ignored = settingsNotApplied(config).stream().map(Setting::key).toList();
        if (!ignored.isEmpty()) {
            log.warning("settings read but not applied by this version: " + String.join(", ", ignored));
        }
    }

    public List<String> boundAddresses() {
        return boundAddresses;
    }

    public PoolerLog log() {
        return log;
    }

    /** Runs {@code task} on the pool loop and waits: for tests and the admin side to read state safely. */
    public <T> T inLoop(java.util.concurrent.Callable<T> task) throws Exception {
        return loop.submit(task).get(10, TimeUnit.SECONDS);
    }

    public PoolManager poolManager() {
        return manager;
    }

    /** Re-reads the ini and auth_file; a broken file leaves the running config untouched. */
    public void reload() throws ConfigException, IOException {
        log.log("got SIGHUP, re-reading config");
        Loaded loaded = load(configFile, log, pidfileOverride);
        loop.execute(() -> manager.apply(loaded.config(), loaded.userlist()));
    }

    /** RELOAD from the console, already on the loop: applies at once so the answer reflects the new config. */
    private void reloadNow() throws ConfigException, IOException {
        Loaded loaded = load(configFile, log, pidfileOverride);
        manager.apply(loaded.config(), loaded.userlist());
    }

    /** SIGUSR1: PAUSE. */
    public void pauseAll() {
        loop.execute(() -> {
            if (manager.pauseMode() == PoolManager.PauseMode.NONE) {
                manager.pause(null);
            }
        });
    }

    /** SIGUSR2: RESUME; ignored while shutting down, as in PgBouncer. */
    public void resumeAll() {
        loop.execute(() -> {
            if (!manager.isShuttingDown()) {
                manager.resume(null);
            }
        });
    }

    /** Starts a shutdown; a second request while one runs makes it immediate, as in PgBouncer. */
    public void shutdown(ShutdownMode mode) {
        if (terminated.getCount() == 0) {
            return; // already stopped (e.g. by the console's SHUTDOWN)
        }
        if (shutdownMode != null && mode != ShutdownMode.IMMEDIATE) {
            mode = ShutdownMode.IMMEDIATE;
        }
        shutdownMode = mode;
        ShutdownMode m = mode;
        try {
            loop.execute(() -> {
                listeners.close();
                if (m == ShutdownMode.IMMEDIATE) {
                    finish();
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException alreadyStopping) {
            // the loop is already shutting down: nothing left to stop
        }
    }

    private void tick() {
        try {
            manager.janitor();
            ShutdownMode m = shutdownMode;
            if (m == ShutdownMode.WAIT_FOR_CLIENTS && manager.clientCount() == 0) {
                finish();
            } else if (m == ShutdownMode.WAIT_FOR_SERVERS && manager.pools().stream().allMatch(p -> p.activeCount() == 0)) {
                finish();
            }
        } catch (RuntimeException e) {
            log.error("janitor: " + e);
        }
    }

    private boolean finished;

    private void finish() {
        if (finished) {
            return;
        }
        finished = true;
        janitor.cancel(false);
        manager.shutdown("database is shutting down"); // wording clients see from PgBouncer's SHUTDOWN
        loop.schedule(this::close, 50, TimeUnit.MILLISECONDS);
    }

    public void awaitTermination() throws InterruptedException {
        terminated.await();
    }

    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        return terminated.await(timeout, unit);
    }

    @Override
    public void close() {
        if (terminated.getCount() == 0) {
            return;
        }
        listeners.close();
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (pidfile != null) {
            try {
                Files.deleteIfExists(pidfile);
            } catch (IOException ignored) {
                // nothing left to do at exit
            }
        }
        log.log("shutting down");
        log.close();
        terminated.countDown();
    }

    private void writePidfile() throws IOException {
        if (pidfile == null) {
            return;
        }
        if (Files.exists(pidfile)) {
            String old = Files.readString(pidfile).trim();
            boolean alive = !old.isEmpty() && old.chars().allMatch(Character::isDigit)
                    && ProcessHandle.of(Long.parseLong(old)).map(ProcessHandle::isAlive).orElse(false);
            if (alive) {
                throw new IOException("pidfile '" + pidfile + "' exists, another instance running?");
            }
            log.log("stale pidfile, removing");
        }
        Files.writeString(pidfile, ProcessHandle.current().pid() + "\n", StandardCharsets.UTF_8);
    }

    /** For the CLI: count of clients and pools, mainly for logs and tests. */
    public int poolCount() throws Exception {
        return inLoop(() -> manager.pools().size());
    }

    public List<Pool> pools() throws Exception {
        return inLoop(() -> List.copyOf(manager.pools()));
    }
}

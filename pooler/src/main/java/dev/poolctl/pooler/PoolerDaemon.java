package dev.poolctl.pooler;

import dev.poolctl.pooler.auth.HbaConfig;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.config.AuthQuerySource;
import dev.poolctl.pooler.config.SupportedSettings;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.HostResolver;
import dev.poolctl.pooler.net.Listeners;
import dev.poolctl.pooler.net.LoopChooser;
import dev.poolctl.pooler.net.ServerConnector;
import dev.poolctl.pooler.net.TlsContexts;
import dev.poolctl.pooler.net.Transport;
import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The daemon's lifecycle: load the config, bind the listeners, run the janitors, reload and shut down
 * (PgBouncer's main.c). {@code event_loops} loops carry the connections, each with its own pools, manager,
 * console and janitor ({@link LoopShard}); with one loop this is PgBouncer's one thread.
 */
public final class PoolerDaemon implements AutoCloseable {
    /**
     * How the daemon stops: PgBouncer's SHUTDOWN variants, and poolctl's DRAIN (clients closed at their transaction
     * boundaries with {@code drain_message}, exit when none is left or at the deadline, {@code drain_timeout}).
     */
    public enum ShutdownMode { IMMEDIATE, WAIT_FOR_SERVERS, WAIT_FOR_CLIENTS, DRAIN }

    private static final long JANITOR_MILLIS = 200;

    private final Path configFile;
    private final PoolerLog log;
    private final EventLoopGroup workerGroup;
    private final GlobalState global = new GlobalState();
    /** In loop order: the first one's manager is where settings are read for the whole process. */
    private final EventLoops loops = new EventLoops();
    private final Listeners listeners = new Listeners();
    private final LoopChooser chooser = new LoopChooser(global::lastLoginLoop);
    private final List<String> boundAddresses;
    private final CountDownLatch terminated = new CountDownLatch(1);
    private final List<ScheduledFuture<?>> janitors = new ArrayList<>();
    private final PidFile pidfile;
    private final DaemonShutdown shutdown;
    /**
     * Reads the files for RELOAD / SIGHUP off the loops, one thread so reloads apply in the order asked; also
     * closes the listeners at shutdown.
     */
    private final ExecutorService reloader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "poolctl-reload");
        t.setDaemon(true);
        return t;
    });
    /** Builds and installs the TLS contexts at RELOAD and SET (on {@link #reloader}). */
    private final DaemonTls tls;
    /** /metrics, /stats and the probes (http_listen_port); open until {@link #close}, through a drain. */
    private dev.poolctl.pooler.http.HttpListener http;
    /** {@code start --pidfile}: kept across reloads, which re-read the ini. */
    private volatile Path pidfileOverride;

    private PoolerDaemon(Path configFile, PoolerConfig config, Userlist userlist, HbaConfig hba, TlsContexts tls,
            PoolerLog log) throws IOException, InterruptedException {
        this.configFile = configFile;
        this.log = log;
        this.shutdown = new DaemonShutdown(loops, listeners, reloader, global, log,
                () -> janitors.forEach(j -> j.cancel(false)), this::close);
        global.hba(hba);
        this.tls = new DaemonTls(configFile, tls, log,
                () -> loops.onEvery(m -> {
                    m.reconnect(null);
                    dev.poolctl.pooler.pool.LoginRetry.forgetErrors(m);
                }, new CompletableFuture<>()));
        // The JDK reads its time zone file on first use; out of file descriptors later, that read fails with an
        // Error wherever a date is first formatted (Netty's own log lines): read it now.
        java.util.TimeZone.getDefault();
        GeneralSettings g = config.general();
        Transport transport = Transport.of(g.ioMethod());
        // The loops accept and serve: a new connection stays on the loop that accepted it until it has logged in.
        int loopCount = g.eventLoops();
        workerGroup = transport.newGroup(loopCount, chooser);
        dev.poolctl.pooler.admin.AdminControl control = new dev.poolctl.pooler.admin.AdminControl() {
            @Override
            public CompletableFuture<Void> reload() {
                return PoolerDaemon.this.reloadFiles();
            }

            @Override
            public CompletableFuture<Boolean> rebuildTls(PoolerConfig next) {
                return CompletableFuture.supplyAsync(() -> PoolerDaemon.this.tls.set(next), reloader);
            }

            @Override
            public CompletableFuture<Void> drain(java.time.Duration deadline) {
                return PoolerDaemon.this.drain(deadline);
            }

            @Override
            public CompletableFuture<Void> shutdown(String mode) {
                return PoolerDaemon.this.shutdown(mode == null ? ShutdownMode.IMMEDIATE
                        : mode.equals("WAIT_FOR_SERVERS") ? ShutdownMode.WAIT_FOR_SERVERS : ShutdownMode.WAIT_FOR_CLIENTS);
            }
        };
        Supplier<ServerConnector.Settings> connectSettings = () -> {
            GeneralSettings now = manager().config().general();
            return new ServerConnector.Settings(now.serverConnectTimeout(), dev.poolctl.pooler.net.TcpOptions.of(now),
                    now.unixSocketDir().isEmpty() ? "/tmp" : now.unixSocketDir(),
                    new HostResolver.Settings(now.durationValue(Setting.DNS_MAX_TTL),
                            now.durationValue(Setting.DNS_NXDOMAIN_TTL), now.serverConnectTimeout()),
                    PoolerDaemon.this.tls.current().server());
        };
        for (EventExecutor e : workerGroup) {
            EventLoop loop = (EventLoop) e;
            LoopShard shard = LoopShard.create(loop, transport, config, userlist, log, global, connectSettings, control,
                    loops::inspecting);
            loops.add(shard);
        }
        preferLoop(config);
        try {
            pidfile = g.pidfile() == null ? null : PidFile.acquire(Path.of(g.pidfile()), "pidfile", log);
        } catch (IOException e) {
            // nothing is listening yet: stop the threads started above, or a refused start leaves them running
            loops.all().forEach(sh -> sh.connector().close());
            workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            reloader.shutdownNow();
            throw e;
        }
        try {
            boundAddresses = listeners.bind(workerGroup, workerGroup, transport, g, log, ch -> {
                LoopShard shard = loops.of(ch.eventLoop());
                return new dev.poolctl.pooler.session.ClientConnection(global.nextId(), shard.manager(), shard.console(),
                        System.nanoTime(), () -> this.tls.current().client());
            }, () -> dev.poolctl.pooler.net.TcpOptions.of(manager().config().general())).addresses();
        } catch (IOException | RuntimeException e) {
            close();
            throw new IOException("cannot listen on port " + g.listenPort() + ": " + e.getMessage(), e);
        }
        try {
            http = dev.poolctl.pooler.http.HttpListener.start(workerGroup, transport.serverChannel(),
                    g.stringValue(Setting.HTTP_LISTEN_ADDR), g.intValue(Setting.HTTP_LISTEN_PORT),
                    new dev.poolctl.pooler.admin.ShowTables(global), shutdown::notAccepting);
        } catch (IOException e) {
            close();
            throw e;
        }
        for (LoopShard shard : loops.all()) {
            janitors.add(shard.loop().scheduleAtFixedRate(() -> tick(shard), JANITOR_MILLIS, JANITOR_MILLIS,
                    TimeUnit.MILLISECONDS));
        }
        long statsMillis = Math.max(1, g.statsPeriod().toMillis());
        loops.first().loop().scheduleAtFixedRate(() -> loops.statsTick(log), statsMillis, statsMillis,
                TimeUnit.MILLISECONDS);
        for (String a : boundAddresses) {
            log.log("listening on " + a);
        }
        java.util.Optional.ofNullable(http.address()).ifPresent(a -> log.log("listening on " + a));
        log.log("process up: poolctl " + Version.VERSION + " (" + transport.name() + ", " + loopCount + " event loop"
                + (loopCount == 1 ? "" : "s") + "), tls: " + DaemonTls.startupWords(this.tls.current()));
    }

    /**
     * With one database (and no {@code *} entry) every client ends up on that database's loop: new connections are
     * registered there at once instead of being moved after their login. Otherwise round robin.
     */
    private void preferLoop(PoolerConfig config) {
        var names = config.databases().keySet();
        boolean one = loops.all().size() > 1 && names.size() == 1 && !names.contains(DatabaseConfig.FALLBACK_NAME);
        chooser.prefer(one ? global.managerFor(names.iterator().next()).index() : -1);
    }

    /** The first loop's manager: the settings in force (every loop has the same). */
    private PoolManager manager() {
        return loops.first().manager();
    }

    /** Loads {@code configFile} and starts serving; throws with a message naming what is wrong. */
    public static PoolerDaemon start(Path configFile, boolean quiet, int verbose) throws ConfigException, IOException, InterruptedException {
        return start(configFile, quiet, verbose, null);
    }

    /** As {@link #start(Path, boolean, int)}, with the pidfile given on the command line instead of the ini's. */
    public static PoolerDaemon start(Path configFile, boolean quiet, int verbose, Path pidfileOverride)
            throws ConfigException, IOException, InterruptedException {
        PoolerLog log = new PoolerLog(!quiet, verbose);
        try {
            Loaded loaded = load(configFile, log, pidfileOverride);
            GeneralSettings g = loaded.config().general();
            DaemonLog.open(configFile, log, g);
            TlsContexts tls = DaemonTls.build(configFile, loaded.config());
            DaemonTls.logExpiry(log, configFile, loaded.config());
            PoolerDaemon daemon = new PoolerDaemon(configFile, loaded.config(), loaded.userlist(), loaded.hba(), tls,
                    log);
            daemon.pidfileOverride = pidfileOverride;
            return daemon;
        } catch (ConfigException | IOException | InterruptedException | RuntimeException e) {
            log.close(); // writes the warnings logged so far before the caller reports the error and exits
            throw e;
        }
    }

    private record Loaded(PoolerConfig config, Userlist userlist, HbaConfig hba) {}

    private static Loaded load(Path configFile, PoolerLog log, Path pidfileOverride) throws ConfigException, IOException {
        IniLoader.LoadResult result = IniLoader.load(configFile);
        result.warnings().forEach(log::warning);
        PoolerConfig config = result.config();
        config = config.withGeneral(config.general().loadedFrom(configFile, pidfileOverride));
        checkSupported(configFile, config);
        warnNotApplied(config, log);
        Userlist userlist = loadUserlist(configFile, config);
        userlist.warnings().forEach(log::warning);
        List<String> hbaWarnings = new ArrayList<>();
        HbaConfig hba = loadHba(configFile, config, hbaWarnings);
        hbaWarnings.forEach(log::warning);
        return new Loaded(config, userlist, hba);
    }

    /**
     * Refuses what this version cannot run with: an auth_type it does not implement, or a TLS mode whose files are
     * not set. {@code poolctl config check} reports the same.
     */
    public static void checkSupported(Path configFile, PoolerConfig config) throws ConfigException {
        try {
            SupportedSettings.check(config.general());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configFile + ": [pgbouncer] " + e.getMessage());
        }
    }

    /** The TLS contexts of the config's files, as {@code start} builds them: for {@code config check}. */
    public static TlsContexts buildTls(Path configFile, PoolerConfig config) throws ConfigException {
        return DaemonTls.build(configFile, config);
    }

    /**
     * Where the daemon reads {@code auth_file}: as written, or, when that relative path does not exist, relative
     * to the config file's directory. Null when auth_file is not set.
     */
    public static Path resolveAuthFile(Path configFile, PoolerConfig config) {
        return resolveFile(configFile, config.general().authFile());
    }

    /** A file setting as the daemon reads it (see {@link #resolveAuthFile}); null when not set. */
    public static Path resolveFile(Path configFile, String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        Path p = Path.of(value);
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

    /**
     * auth_hba_file and auth_ident_file as the daemon loads them when auth_type = hba (else none). As PgBouncer,
     * unreadable files and lines it cannot parse are warnings: the rules read so far apply, and a login no rule
     * matches is refused.
     */
    public static HbaConfig loadHba(Path configFile, PoolerConfig config, List<String> warnings) {
        return HbaConfig.load(config.general(), value -> resolveFile(configFile, value), warnings);
    }

    /** The settings set to a non-default value that this version reads and validates but does not act on. */
    public static List<Setting> settingsNotApplied(PoolerConfig config) {
        return SupportedSettings.notApplied(config.general());
    }

    private static void warnNotApplied(PoolerConfig config, PoolerLog log) {
        List<String> ignored = settingsNotApplied(config).stream().map(Setting::key).toList();
        if (!ignored.isEmpty()) {
            log.warning("settings read but not applied by this version: " + String.join(", ", ignored));
        }
        SupportedSettings.noEffect(config.general()).forEach(s -> log.warning(s.key() + " " + SupportedSettings.explain(s)));
        AuthQuerySource.warnings(config).forEach(w -> log.warning(w.text()));
    }

    public List<String> boundAddresses() {
        return boundAddresses;
    }

    public PoolerLog log() {
        return log;
    }

    /**
     * For tests: runs {@code task} where it may read and call into any loop's pools and waits for it (see
     * {@link EventLoops#inspect}).
     */
    public <T> T inLoop(java.util.concurrent.Callable<T> task) throws Exception {
        return loops.inspect(task);
    }

    /** Replaces the system resolver on every loop: tests answer host names without any DNS traffic. */
    public void lookup(HostResolver.Lookup lookup) {
        loops.all().forEach(shard -> shard.connector().lookup(lookup));
    }

    /** The first loop's manager (the only one with {@code event_loops = 1}). */
    public PoolManager poolManager() {
        return manager();
    }

    /** Every loop's manager, in loop order. */
    public List<PoolManager> poolManagers() {
        return global.managers();
    }

    /**
     * SIGHUP: re-reads the ini and auth_file and reopens the logfile (after logrotate moved it); a broken file leaves
     * the running config untouched and is logged.
     */
    public CompletableFuture<Void> reload() {
        log.log("got SIGHUP, re-reading config");
        CompletableFuture<Void> done = reloadFiles();
        done.whenComplete((ok, e) -> {
            if (e != null) {
                log.error("reload failed, keeping the running config: " + e.getMessage());
            }
        });
        return done;
    }

    /**
     * RELOAD and SIGHUP: the files are read and parsed on the reload thread (a slow disk or NFS mount must not stall
     * the clients on the loops), then applied on every loop. Completes once every loop has applied it, or with the
     * ConfigException / IOException that kept the running config; one reload runs at a time, in order.
     */
    private CompletableFuture<Void> reloadFiles() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            reloader.execute(() -> {
                Loaded loaded;
                try {
                    loaded = load(manager().config().general().conffile(configFile), log, pidfileOverride);
                } catch (ConfigException | IOException | RuntimeException e) {
                    done.completeExceptionally(e);
                    return;
                }
                DaemonLog.reopen(log, loaded.config().general());
                global.hba(loaded.hba());
                tls.reload(loaded.config());
                preferLoop(loaded.config());
                loops.onEvery(m -> m.apply(loaded.config(), loaded.userlist()), done);
            });
        } catch (java.util.concurrent.RejectedExecutionException stopped) {
            done.completeExceptionally(new IOException("the pooler is shutting down"));
        }
        return done;
    }

    /** SIGUSR1: PAUSE. */
    public void pauseAll() {
        loops.onEvery(m -> {
            if (m.pauseMode() == PoolManager.PauseMode.NONE) {
                m.pause(null);
            }
        }, new CompletableFuture<>());
    }

    /** SIGUSR2: RESUME; ignored while shutting down, as in PgBouncer. */
    public void resumeAll() {
        loops.onEvery(m -> {
            if (!m.stopping().isStopping() && !m.isShuttingDown()) {
                m.resume(null);
            }
        }, new CompletableFuture<>());
    }

    /**
     * Starts a shutdown; a second request while one runs makes it immediate, as in PgBouncer. Completes once the
     * listeners it closes are closed.
     */
    public CompletableFuture<Void> shutdown(ShutdownMode mode) {
        if (terminated.getCount() == 0) {
            return CompletableFuture.completedFuture(null); // already stopped (e.g. by the console's SHUTDOWN)
        }
        if (mode == ShutdownMode.DRAIN) {
            return drain(manager().config().general().durationValue(Setting.DRAIN_TIMEOUT));
        }
        return shutdown.request(mode);
    }

    /** DRAIN with its own deadline (zero: none); see {@link ShutdownMode#DRAIN}. */
    public CompletableFuture<Void> drain(java.time.Duration deadline) {
        if (terminated.getCount() == 0) {
            return CompletableFuture.completedFuture(null);
        }
        GeneralSettings g = manager().config().general();
        return shutdown.drain(deadline, g.durationValue(Setting.DRAIN_ACCEPT_GRACE), g.stringValue(Setting.DRAIN_MESSAGE));
    }

    /** The [pgbouncer] settings in force. */
    public GeneralSettings generalSettings() {
        return manager().config().general();
    }

    /** A shutdown (or drain) has begun: SIGUSR2 and RESUME are ignored from now on, as in PgBouncer. */
    public boolean isStopping() {
        return shutdown.mode() != null;
    }

    /** One loop's janitor tick (each loop has its own), and the check whether a waiting shutdown may finish. */
    private void tick(LoopShard shard) {
        try {
            shard.console().tick();
            shard.manager().janitor();
            shutdown.tick(shard);
        } catch (RuntimeException e) {
            log.error("janitor: " + e);
        }
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
        if (http != null) {
            http.close();
        }
        reloader.shutdownNow();
        loops.all().forEach(shard -> shard.connector().close());
        workerGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        if (pidfile != null) {
            pidfile.close();
        }
        log.log("shutting down");
        log.close();
        terminated.countDown();
    }

    /** For tests: the number of pools, over every loop. */
    public int poolCount() throws Exception {
        return pools().size();
    }

    /** For tests: every loop's pools. */
    public List<Pool> pools() throws Exception {
        return inLoop(() -> loops.all().stream().flatMap(sh -> sh.manager().pools().stream()).toList());
    }
}

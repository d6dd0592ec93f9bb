package dev.poolctl.pooler.support;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real, throwaway PostgreSQL cluster for integration tests: initdb'd into a fresh directory
 * under {@code /tmp}, listening on {@code 127.0.0.1} on a free port plus its own unix socket
 * directory, with one role per authentication method and a {@code testdb} database that holds
 * the pgbench tables.
 *
 * <p>Tests normally get the one shared instance through {@link PostgresClusterExtension}; it is
 * started once per test JVM and stopped ({@code pg_ctl stop -m immediate}, temp dir deleted) when
 * the JUnit run ends. {@link #start()} / {@link #close()} can also be used directly.
 *
 * <h2>What is in it</h2>
 * <table>
 *   <caption>roles (all LOGIN) and how 127.0.0.1 authenticates them (pg_hba.conf)</caption>
 *   <tr><th>role</th><th>password</th><th>pg_hba method</th><th>stored secret</th></tr>
 *   <tr><td>{@value #TRUST_USER}</td><td>{@value #TRUST_PASSWORD}</td><td>trust</td><td>SCRAM</td></tr>
 *   <tr><td>{@value #MD5_USER}</td><td>{@value #MD5_PASSWORD}</td><td>md5</td><td>md5</td></tr>
 *   <tr><td>{@value #SCRAM_USER}</td><td>{@value #SCRAM_PASSWORD}</td><td>scram-sha-256</td><td>SCRAM</td></tr>
 *   <tr><td>{@value #CLEARTEXT_USER}</td><td>{@value #CLEARTEXT_PASSWORD}</td><td>password</td><td>SCRAM</td></tr>
 *   <tr><td>{@value #SUPERUSER}</td><td>(none)</td><td>trust</td><td>-</td></tr>
 *   <tr><td>any other role</td><td></td><td>scram-sha-256</td><td></td></tr>
 * </table>
 * Over the unix socket everything is trusted; physical replication over TCP only for {@value #SUPERUSER}, and
 * wal_level is logical. Database {@value #TEST_DB} (owner postgres) is open
 * to PUBLIC (CONNECT/CREATE/TEMP, and ALL on schema public and on the pgbench tables
 * pgbench_accounts / _branches / _tellers / _history, scale 1).
 *
 * <h2>Requirements</h2>
 * The PostgreSQL server binaries (initdb, postgres, pg_ctl) and clients (psql, pg_isready,
 * pgbench): found through {@code pg_config --bindir}, or the directory named by the environment
 * variable {@value #BINDIR_ENV}. On Debian: {@code apt-get install postgresql}. When the JVM runs
 * as root, every server binary runs as the OS user {@code postgres} through
 * {@code runuser -u postgres --} (the postgresql package creates that user).
 */
public final class PostgresCluster implements AutoCloseable {

    /** Environment variable that names the directory holding initdb, postgres, psql, pgbench, .... */
    public static final String BINDIR_ENV = "POOLCTL_PG_BINDIR";

    public static final String HOST = "127.0.0.1";
    public static final String SUPERUSER = "postgres";
    public static final String TEST_DB = "testdb";

    public static final String TRUST_USER = "trust_user";
    public static final String TRUST_PASSWORD = "trust_pw";
    public static final String MD5_USER = "md5_user";
    public static final String MD5_PASSWORD = "md5_pw";
    public static final String SCRAM_USER = "scram_user";
    public static final String SCRAM_PASSWORD = "scram_pw";
    public static final String CLEARTEXT_USER = "cleartext_user";
    public static final String CLEARTEXT_PASSWORD = "cleartext_pw";

    private static final String OS_USER = "postgres";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(60);
    private static final int PORT_ATTEMPTS = 3;

    private final Path bindir;
    private final boolean asRoot;
    /** The loopback address it listens on: {@value #HOST}, or another one for a standby (same port). */
    private final String host;
    private final Path baseDir;
    private final Path dataDir;
    private final Path socketDir;
    private final Path logFile;
    private final Thread shutdownHook;

    private volatile int port = -1;
    private Process postmaster;
    private int serverVersionNum;
    private Duration startupTime;
    private boolean closed;

    private PostgresCluster(Path bindir, boolean asRoot, Path baseDir, String host) {
        this.bindir = bindir;
        this.asRoot = asRoot;
        this.host = host;
        this.baseDir = baseDir;
        this.dataDir = baseDir.resolve("data");
        this.socketDir = baseDir.resolve("sock");
        this.logFile = baseDir.resolve("postgres.log");
        this.shutdownHook = new Thread(this::stopAndDelete, "poolctl-pg-shutdown");
    }

    /**
     * Creates, configures and starts a new cluster and waits until it accepts connections and is
     * populated. Takes a few seconds. The caller must {@link #close()} it.
     *
     * @throws IllegalStateException if PostgreSQL is not installed / not found, or did not start
     */
    public static PostgresCluster start() {
        long t0 = System.nanoTime();
        Path bindir = resolveBindir();
        boolean asRoot = isRoot();
        if (asRoot) {
            requirePostgresOsUser();
        }
        Path base;
        try {
            // Directly under /tmp (not java.io.tmpdir): short unix socket paths (max ~107 bytes),
            // and when we are root the postgres user must be able to traverse every parent.
            base = Files.createTempDirectory(Path.of("/tmp"), "poolctl-pg-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temp dir under /tmp", e);
        }
        PostgresCluster cluster = new PostgresCluster(bindir, asRoot, base, HOST);
        Runtime.getRuntime().addShutdownHook(cluster.shutdownHook);
        try {
            cluster.initdb();
            cluster.startServer(-1);
            cluster.populate();
        } catch (RuntimeException | Error e) {
            String log = cluster.logTail();
            cluster.close();
            if (!log.isEmpty()) {
                e.addSuppressed(new IllegalStateException("postgres log:\n" + log));
            }
            throw e;
        }
        cluster.startupTime = Duration.ofNanos(System.nanoTime() - t0);
        System.out.printf("[PostgresCluster] PostgreSQL %d on %s:%d (socket dir %s) ready in %d ms%n",
                cluster.serverVersionNum, cluster.host, cluster.port, cluster.socketDir, cluster.startupTime.toMillis());
        return cluster;
    }

    // ------------------------------------------------------------------ accessors

    /** {@value #HOST}, or the address a standby was given. */
    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    /** Directory holding the server's unix socket {@code .s.PGSQL.<port>}; use as libpq {@code -h}. */
    public Path socketDir() {
        return socketDir;
    }

    /** Directory holding initdb, postgres, psql, pgbench, ... */
    public Path bindir() {
        return bindir;
    }

    /** Path of a PostgreSQL program, e.g. {@code binary("psql")}, {@code binary("pgbench")}. */
    public Path binary(String name) {
        Path p = bindir.resolve(name);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("no executable " + name + " in " + bindir);
        }
        return p;
    }

    /** The data directory (PGDATA). */
    public Path dataDir() {
        return dataDir;
    }

    /** The server log (stdout + stderr of the postmaster). */
    public Path logFile() {
        return logFile;
    }

    /** {@code server_version_num}, e.g. 150013. */
    public int serverVersionNum() {
        return serverVersionNum;
    }

    /** How long {@link #start()} took, from resolving binaries to populated cluster. */
    public Duration startupTime() {
        return startupTime;
    }

    /**
     * Turns TLS on ({@code ssl = on} with {@code cert}/{@code key}, and {@code ca} for client certificates) and puts
     * {@code hbaLines} in front of pg_hba.conf, then reloads and waits until the server runs with them. The files
     * are copied into the data directory, owned by the cluster's OS user as PostgreSQL requires for the key.
     */
    public void enableSsl(Path cert, Path key, Path ca, List<String> hbaLines) {
        try {
            Files.copy(cert, dataDir.resolve("server.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(key, dataDir.resolve("server.key"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.copy(ca, dataDir.resolve("root.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            Files.setPosixFilePermissions(dataDir.resolve("server.key"),
                    java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
            if (asRoot) {
                Processes.command("chown", OS_USER + ":", dataDir.resolve("server.crt").toString(),
                        dataDir.resolve("server.key").toString(), dataDir.resolve("root.crt").toString())
                        .timeout(Duration.ofSeconds(20)).runChecked();
            }
            Path hba = dataDir.resolve("pg_hba.conf");
            Files.writeString(hba, String.join("\n", hbaLines) + "\n" + Files.readString(hba),
                    StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not install the TLS files", e);
        }
        query("postgres", "ALTER SYSTEM SET ssl = on");
        query("postgres", "ALTER SYSTEM SET ssl_ca_file = 'root.crt'");
        query("postgres", "SELECT pg_reload_conf()");
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        while (!"on".equals(query("postgres", "SHOW ssl").get(0).get(0))) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("ssl did not turn on; log:\n" + logTail());
            }
            Thread.onSpinWait();
        }
    }

    /** {@code jdbc:postgresql://127.0.0.1:<port>/<db>}, no parameters (append {@code ?...} freely). */
    public String jdbcUrl(String db) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + db;
    }

    /**
     * Opens a pgjdbc connection straight to the cluster (not through any pooler) over TCP, with
     * {@code sslmode=disable} and a 10 s connect timeout. {@code password} may be null.
     */
    public Connection connect(String db, String user, String password) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("sslmode", "disable");
        props.setProperty("connectTimeout", "10");
        return DriverManager.getConnection(jdbcUrl(db), props);
    }

    /**
     * Runs {@code sql} in {@value #TEST_DB} as {@value #SUPERUSER} (over TCP, trust) in its own
     * short-lived connection and returns all rows as strings (SQL NULL as Java null); statements
     * without a result set return an empty list. Note that this connection is itself visible in
     * {@code pg_stat_activity} (as usename postgres, {@code pid = pg_backend_pid()}) while it runs.
     */
    public List<List<String>> query(String sql) {
        return query(TEST_DB, sql);
    }

    /** Like {@link #query(String)} in database {@code db}. */
    public List<List<String>> query(String db, String sql) {
        try (Connection c = connect(db, SUPERUSER, null); Statement st = c.createStatement()) {
            boolean hasResult = st.execute(sql);
            List<List<String>> rows = new ArrayList<>();
            while (true) {
                if (hasResult) {
                    try (ResultSet rs = st.getResultSet()) {
                        rows.addAll(readRows(rs));
                    }
                } else if (st.getUpdateCount() == -1) {
                    break;
                }
                hasResult = st.getMoreResults();
            }
            return Collections.unmodifiableList(rows);
        } catch (SQLException e) {
            throw new IllegalStateException("query failed: " + sql + ": " + e.getMessage(), e);
        }
    }

    /** The single value of a one-row, one-column query (may be null). */
    public String queryValue(String sql) {
        List<List<String>> rows = query(sql);
        if (rows.size() != 1 || rows.get(0).size() != 1) {
            throw new IllegalStateException("expected exactly one value from " + sql + ", got " + rows);
        }
        return rows.get(0).get(0);
    }

    /**
     * Terminates every backend of role {@code usename} (except the one doing it) and waits (up to
     * 5 s each, PostgreSQL 14+) until they are gone. Returns how many were terminated.
     */
    public int terminateBackends(String usename) {
        String call = serverVersionNum >= 140000 ? "pg_terminate_backend(pid, 5000)" : "pg_terminate_backend(pid)";
        String sql = "SELECT count(*) FILTER (WHERE " + call + ") FROM pg_stat_activity"
                + " WHERE usename = ? AND pid <> pg_backend_pid()";
        try (Connection c = connect("postgres", SUPERUSER, null); PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, usename);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("terminating backends of " + usename + " failed: " + e.getMessage(), e);
        }
    }

    /** The stored SCRAM verifier of {@code role} ({@code SCRAM-SHA-256$<iter>:<salt>$<StoredKey>:<ServerKey>}). */
    public String scramSecret(String role) {
        String secret = rolpassword(role);
        if (secret == null || !secret.startsWith("SCRAM-SHA-256$")) {
            throw new IllegalStateException("role " + role + " has no SCRAM secret stored: " + secret);
        }
        return secret;
    }

    /**
     * The stored md5 secret of {@code role} ({@code "md5" + md5hex(password + role)}); only
     * {@value #MD5_USER} has one. For any user/password pair use {@link #md5SecretOf(String, String)}.
     */
    public String md5Secret(String role) {
        String secret = rolpassword(role);
        if (secret == null || !secret.startsWith("md5")) {
            throw new IllegalStateException("role " + role + " has no md5 secret stored: " + secret);
        }
        return secret;
    }

    /** {@code "md5" + md5hex(password + user)}, the md5 secret PostgreSQL would store. */
    public static String md5SecretOf(String user, String password) {
        try {
            byte[] digest = MessageDigest.getInstance("MD5").digest((password + user).getBytes(StandardCharsets.UTF_8));
            return "md5" + HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private String rolpassword(String role) {
        try (Connection c = connect("postgres", SUPERUSER, null);
             PreparedStatement ps = c.prepareStatement("SELECT rolpassword FROM pg_authid WHERE rolname = ?")) {
            ps.setString(1, role);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new IllegalArgumentException("no such role: " + role);
                }
                return rs.getString(1);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("reading pg_authid for " + role + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs a PostgreSQL program from {@link #bindir()} as the cluster's OS user (via runuser when
     * we are root) in the cluster's base dir. For admin work over the unix socket; test clients
     * connecting over TCP should use {@link Processes} directly.
     */
    public Processes.Result runAsOwner(String program, List<String> args, String stdin, Duration timeout) {
        List<String> cmd = new ArrayList<>();
        if (asRoot) {
            cmd.addAll(List.of(runuser(), "-u", OS_USER, "--"));
        }
        cmd.add(binary(program).toString());
        cmd.addAll(args);
        return Processes.command(cmd).stdin(stdin).directory(baseDir).timeout(timeout).run();
    }

    /**
     * {@code kill -s SIGNAL pid} as the cluster's OS user (via runuser when we are root), so that it can reach only
     * PostgreSQL's own processes; e.g. {@code KILL} on a backend makes the postmaster restart every backend.
     */
    public void signalAsOwner(long pid, String signal) {
        List<String> cmd = new ArrayList<>();
        if (asRoot) {
            cmd.addAll(List.of(runuser(), "-u", OS_USER, "--"));
        }
        cmd.addAll(List.of("kill", "-s", signal, Long.toString(pid)));
        Processes.command(cmd).timeout(Duration.ofSeconds(10)).runChecked();
    }

    /** Runs SQL through psql over the unix socket as {@value #SUPERUSER}, stopping at the first error. */
    public Processes.Result psqlAsSuperuser(String db, String sql) {
        return runAsOwner("psql", List.of("-X", "-q", "-v", "ON_ERROR_STOP=1",
                        "-h", socketDir.toString(), "-p", String.valueOf(port), "-U", SUPERUSER, "-d", db, "-f", "-"),
                sql, TOOL_TIMEOUT)
                .assertSuccess("psql as " + SUPERUSER + " in " + db);
    }

    // ------------------------------------------------------------------ lifecycle

    /**
     * A streaming standby of this cluster ({@code pg_basebackup -R}), listening on {@code standbyHost} (another
     * loopback address, e.g. 127.0.0.2) with the same port, so that one {@code host=a,b port=P} entry names both.
     * Its roles, passwords and databases are the primary's. The caller closes it.
     */
    public PostgresCluster startStandby(String standbyHost) {
        Path base;
        try {
            base = Files.createTempDirectory(Path.of("/tmp"), "poolctl-pg-standby-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temp dir under /tmp", e);
        }
        PostgresCluster standby = new PostgresCluster(bindir, asRoot, base, standbyHost);
        Runtime.getRuntime().addShutdownHook(standby.shutdownHook);
        try {
            Files.createDirectories(standby.socketDir);
            if (asRoot) {
                Processes.command("chown", "-R", OS_USER + ":", base.toString()).timeout(Duration.ofSeconds(20))
                        .runChecked();
            }
            runAsOwner("pg_basebackup", List.of("-D", standby.dataDir.toString(), "-R", "-X", "stream", "-c", "fast",
                    "-h", socketDir.toString(), "-p", String.valueOf(port), "-U", SUPERUSER), null, TOOL_TIMEOUT)
                    .assertSuccess("pg_basebackup");
            // Its own address and socket directory: later lines of postgresql.conf win.
            Files.writeString(standby.dataDir.resolve("postgresql.conf"), "\nlisten_addresses = '" + standbyHost
                    + "'\nunix_socket_directories = '" + standby.socketDir + "'\n", StandardOpenOption.APPEND);
            standby.startServer(port);
            standby.serverVersionNum = serverVersionNum;
        } catch (IOException e) {
            standby.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException | Error e) {
            String log = standby.logTail();
            standby.close();
            if (!log.isEmpty()) {
                e.addSuppressed(new IllegalStateException("standby log:\n" + log));
            }
            throw e;
        }
        return standby;
    }

    /** {@code pg_ctl promote}: the standby ends recovery; returns once it has (it then accepts writes). */
    public void promote() {
        runAsOwner("pg_ctl", List.of("promote", "-D", dataDir.toString(), "-w", "-t", "30"), null, TOOL_TIMEOUT)
                .assertSuccess("pg_ctl promote");
    }

    /**
     * A restart: {@code pg_ctl stop -m MODE} (fast: clients are told, immediate: a crash and recovery), then the
     * server again on the same port; returns once it accepts connections.
     */
    public void restart(String mode) {
        stopServer(mode);
        startServer(port);
    }

    /** Stops the server ({@code pg_ctl stop -m MODE}: smart, fast or immediate); its files stay until close. */
    public void stopServer(String mode) {
        runAsOwner("pg_ctl", List.of("stop", "-D", dataDir.toString(), "-m", mode, "-w", "-t", "30"), null,
                TOOL_TIMEOUT).assertSuccess("pg_ctl stop -m " + mode);
    }

    /** Stops the server ({@code pg_ctl stop -m immediate}) and deletes the temp dir. Idempotent. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to: it does the same work, and stopAndDelete is idempotent
        }
        stopAndDelete();
    }

    @Override
    public String toString() {
        return "PostgresCluster[" + host + ":" + port + ", " + baseDir + "]";
    }

    private synchronized void stopAndDelete() {
        if (closed) {
            return;
        }
        closed = true;
        if (postmaster != null) {
            try {
                runAsOwner("pg_ctl", List.of("stop", "-D", dataDir.toString(), "-m", "immediate", "-w", "-t", "30"),
                        null, Duration.ofSeconds(40));
            } catch (RuntimeException e) {
                System.err.println("[PostgresCluster] pg_ctl stop failed: " + e);
            }
            try {
                if (!postmaster.waitFor(10, TimeUnit.SECONDS)) {
                    // pg_ctl did not do it: kill the server we started (and its children) by handle.
                    Processes.killTree(postmaster);
                }
            } catch (InterruptedException e) {
                Processes.killTree(postmaster);
                Thread.currentThread().interrupt();
            }
        }
        deleteRecursively(baseDir);
    }

    // ------------------------------------------------------------------ start-up steps

    private void initdb() {
        try {
            Files.createDirectories(socketDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (asRoot) {
            Processes.command("chown", "-R", OS_USER + ":", baseDir.toString())
                    .timeout(Duration.ofSeconds(20)).runChecked();
        }
        runAsOwner("initdb", List.of("-D", dataDir.toString(), "-U", SUPERUSER, "-A", "trust",
                        "-E", "UTF8", "--locale=C", "--no-sync"), null, TOOL_TIMEOUT)
                .assertSuccess("initdb");

        // This cluster lives for one test run and is thrown away: durability is worthless here,
        // so skip fsyncs and full-page images to keep start-up and pgbench fast; 300 connections
        // so pooler tests can open many server connections; modest shared_buffers so it starts
        // anywhere (also in small containers).
        String conf = String.join("\n",
                "",
                "# --- poolctl test cluster (PostgresCluster) ---",
                "listen_addresses = '" + HOST + "'",
                "unix_socket_directories = '" + socketDir + "'",
                "max_connections = 300",
                "shared_buffers = 64MB",
                "fsync = off",
                "synchronous_commit = off",
                "full_page_writes = off",
                "password_encryption = 'scram-sha-256'",
                "logging_collector = off",
                // Replication through the pooler (ReplicationIT): logical decoding needs wal_level logical.
                "wal_level = logical",
                "");
        String hba = String.join("\n",
                "# poolctl test cluster: one role per auth method over TCP, everything trusted on the socket",
                "# TYPE  DATABASE  USER            ADDRESS       METHOD",
                "local   all       all                           trust",
                "local   replication all                         trust",
                "host    all       trust_user      127.0.0.1/32  trust",
                "host    all       md5_user        127.0.0.1/32  md5",
                "host    all       scram_user      127.0.0.1/32  scram-sha-256",
                "host    all       cleartext_user  127.0.0.1/32  password",
                "host    all       postgres        127.0.0.1/32  trust",
                "host    all       all             127.0.0.1/32  scram-sha-256",
                "host    replication postgres      127.0.0.1/32  trust",
                "");
        try {
            // Both files exist (created by initdb as the owner); rewriting them keeps their owner.
            Files.writeString(dataDir.resolve("postgresql.conf"), conf, StandardOpenOption.APPEND);
            Files.writeString(dataDir.resolve("pg_hba.conf"), hba, StandardOpenOption.TRUNCATE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the cluster configuration", e);
        }
    }

    /** {@code fixedPort}: the port to take (a standby's, the primary's on another address), or -1 for a free one. */
    private void startServer(int fixedPort) {
        for (int attempt = 1; ; attempt++) {
            int candidate = fixedPort > 0 ? fixedPort : FreePort.find();
            List<String> cmd = new ArrayList<>();
            if (asRoot) {
                cmd.addAll(List.of(runuser(), "-u", OS_USER, "--"));
            }
            cmd.addAll(List.of(binary("postgres").toString(), "-D", dataDir.toString(), "-p", String.valueOf(candidate)));
            try {
                postmaster = new ProcessBuilder(cmd)
                        .directory(baseDir.toFile())
                        .redirectInput(Redirect.from(new File("/dev/null")))
                        .redirectErrorStream(true)
                        .redirectOutput(Redirect.appendTo(logFile.toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start " + String.join(" ", cmd), e);
            }
            port = candidate;
            if (awaitReady()) {
                return;
            }
            // The postmaster exited during start-up.
            String log = logTail();
            boolean portTaken = log.contains("could not bind") || log.contains("Address already in use")
                    || log.contains("could not create any TCP/IP sockets");
            if (portTaken && attempt < PORT_ATTEMPTS && fixedPort < 0) {
                continue; // somebody grabbed the port between FreePort.find() and bind: try another
            }
            throw new IllegalStateException("postgres exited during start-up (exit code "
                    + postmaster.exitValue() + "), see the log below");
        }
    }

    /** Polls pg_isready; true once accepting, false if the postmaster died, throws on timeout. */
    private boolean awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String pgIsReady = binary("pg_isready").toString();
        Processes.Result last = null;
        while (System.nanoTime() < deadline) {
            if (!postmaster.isAlive()) {
                return false;
            }
            last = Processes.command(pgIsReady, "-q", "-h", host, "-p", String.valueOf(port),
                            "-U", SUPERUSER, "-d", "postgres", "-t", "2")
                    .timeout(Duration.ofSeconds(10)).run();
            if (last.exitCode() == 0) {
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for postgres", e);
            }
        }
        throw new IllegalStateException("postgres did not accept connections on " + host + ":" + port
                + " within " + READY_TIMEOUT.toSeconds() + " s (last pg_isready exit code "
                + (last == null ? "n/a" : last.exitCode()) + ")");
    }

    private void populate() {
        // One psql run as superuser over the socket: roles, then testdb. CREATE DATABASE cannot
        // run in a transaction block, which is fine: psql -f autocommits each statement.
        psqlAsSuperuser("postgres", String.join("\n",
                "SET password_encryption = 'scram-sha-256';",
                "CREATE ROLE " + TRUST_USER + " LOGIN PASSWORD '" + TRUST_PASSWORD + "';",
                "CREATE ROLE " + SCRAM_USER + " LOGIN PASSWORD '" + SCRAM_PASSWORD + "';",
                "CREATE ROLE " + CLEARTEXT_USER + " LOGIN PASSWORD '" + CLEARTEXT_PASSWORD + "';",
                "SET password_encryption = 'md5';",
                "CREATE ROLE " + MD5_USER + " LOGIN PASSWORD '" + MD5_PASSWORD + "';",
                "RESET password_encryption;",
                "CREATE DATABASE " + TEST_DB + " OWNER " + SUPERUSER + ";",
                "GRANT ALL ON DATABASE " + TEST_DB + " TO PUBLIC;",
                ""));
        runAsOwner("pgbench", List.of("-i", "-s", "1", "-q", "-h", socketDir.toString(), "-p", String.valueOf(port),
                        "-U", SUPERUSER, TEST_DB), null, TOOL_TIMEOUT)
                .assertSuccess("pgbench -i -s 1 " + TEST_DB);
        // PostgreSQL 15+ no longer lets PUBLIC create in schema public: open it up, and the
        // pgbench tables too, so every test role can run pgbench and create scratch tables.
        psqlAsSuperuser(TEST_DB, String.join("\n",
                "GRANT ALL ON SCHEMA public TO PUBLIC;",
                "GRANT ALL ON ALL TABLES IN SCHEMA public TO PUBLIC;",
                "GRANT ALL ON ALL SEQUENCES IN SCHEMA public TO PUBLIC;",
                ""));
        serverVersionNum = Integer.parseInt(queryValue("SHOW server_version_num"));
    }

    // ------------------------------------------------------------------ helpers

    private String logTail() {
        try {
            if (!Files.exists(logFile)) {
                return "";
            }
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(could not read " + logFile + ": " + e + ")";
        }
    }

    private static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("[PostgresCluster] could not delete " + p + ": " + e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            System.err.println("[PostgresCluster] could not delete " + dir + ": " + e);
        }
    }

    /**
     * The bindir: {@value #BINDIR_ENV} if set (and then only that), else {@code pg_config --bindir},
     * else the directory of an {@code initdb} on PATH, else the newest /usr/lib/postgresql/N/bin.
     */
    static Path resolveBindir() {
        String override = System.getenv(BINDIR_ENV);
        if (override != null && !override.isBlank()) {
            Path dir = Path.of(override.trim()).toAbsolutePath();
            if (!Files.isExecutable(dir.resolve("initdb"))) {
                throw new IllegalStateException(BINDIR_ENV + "=" + override + " has no executable initdb; point it at"
                        + " the PostgreSQL server bin directory (the one with initdb, postgres, pg_ctl, psql,"
                        + " pg_isready, pgbench), e.g. /usr/lib/postgresql/15/bin");
            }
            return dir;
        }
        List<String> tried = new ArrayList<>();
        try {
            Processes.Result r = Processes.command("pg_config", "--bindir").timeout(Duration.ofSeconds(10)).run();
            String out = r.stdout().trim();
            if (r.succeeded() && !out.isEmpty()) {
                Path dir = Path.of(out);
                if (Files.isExecutable(dir.resolve("initdb"))) {
                    return dir;
                }
                tried.add("pg_config --bindir = " + dir + " (no initdb there)");
            } else {
                tried.add("pg_config --bindir failed: " + r.stderr().trim());
            }
        } catch (UncheckedIOException e) {
            tried.add("pg_config not found on PATH");
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path initdb = Path.of(entry, "initdb");
                if (Files.isExecutable(initdb)) {
                    try {
                        return initdb.toRealPath().getParent();
                    } catch (IOException e) {
                        tried.add(initdb + ": " + e);
                    }
                }
            }
            tried.add("no initdb on PATH");
        }
        Path debian = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(debian)) {
            try (Stream<Path> versions = Files.list(debian)) {
                Path best = versions
                        .filter(v -> v.getFileName().toString().matches("\\d+(\\.\\d+)?"))
                        .filter(v -> Files.isExecutable(v.resolve("bin/initdb")))
                        .max(Comparator.comparingDouble(v -> Double.parseDouble(v.getFileName().toString())))
                        .orElse(null);
                if (best != null) {
                    return best.resolve("bin");
                }
            } catch (IOException e) {
                tried.add(debian + ": " + e);
            }
            tried.add("no initdb under " + debian + "/*/bin");
        }
        throw new IllegalStateException("PostgreSQL server binaries (initdb) not found; tried: " + String.join("; ", tried)
                + ". Install the PostgreSQL server (Debian/Ubuntu: apt-get install postgresql; it brings initdb,"
                + " postgres, pg_ctl, psql, pg_isready and pgbench) or set " + BINDIR_ENV
                + " to the directory that holds initdb.");
    }

    private static boolean isRoot() {
        try {
            // /proc/self is owned by the effective uid of this process.
            Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
            return ((Integer) uid) == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException | ClassCastException e) {
            Processes.Result r = Processes.command("id", "-u").timeout(Duration.ofSeconds(10)).run();
            return r.succeeded() ? "0".equals(r.stdout().trim()) : "root".equals(System.getProperty("user.name"));
        }
    }

    private static void requirePostgresOsUser() {
        Processes.Result r;
        try {
            r = Processes.command("id", "-u", OS_USER).timeout(Duration.ofSeconds(10)).run();
        } catch (UncheckedIOException e) {
            r = new Processes.Result(-1, "", e.toString());
        }
        if (!r.succeeded()) {
            throw new IllegalStateException("running as root: PostgreSQL refuses to run as root, so the test cluster"
                    + " runs as the OS user '" + OS_USER + "', which does not exist (" + r.stderr().trim()
                    + "). Install the postgresql package (it creates that user) or run the tests as a non-root user.");
        }
        runuser();
    }

    private static String runuser() {
        for (String candidate : List.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("running as root needs runuser (util-linux) to run PostgreSQL as '"
                + OS_USER + "', but it was not found in /usr/sbin, /sbin, /usr/bin or /bin");
    }

    private static List<List<String>> readRows(ResultSet rs) throws SQLException {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount();
        List<List<String>> rows = new ArrayList<>();
        while (rs.next()) {
            List<String> row = new ArrayList<>(n);
            for (int i = 1; i <= n; i++) {
                row.add(rs.getString(i));
            }
            rows.add(Collections.unmodifiableList(row));
        }
        return rows;
    }
}

package dev.poolctl.pooler.support;

import dev.poolctl.pooler.PoolerDaemon;
import dev.poolctl.pooler.pool.Pool;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;

/**
 * A real pooler in this JVM, in front of the test {@link PostgresCluster}, configured through a pgbouncer.ini
 * written to a temp dir (PgBouncer's test/utils.py Bouncer fixture). The userlist holds every test role:
 * md5_user with its md5 secret, scram_user with the SCRAM secret PostgreSQL stored, the others in plain text.
 */
public final class PoolerFixture implements AutoCloseable {
    private final PostgresCluster pg;
    private final Path dir;
    private final Path ini;
    private final Path logfile;
    private final int port;
    private PoolerDaemon daemon;

    private PoolerFixture(PostgresCluster pg, Path dir, Path ini, Path logfile, int port) {
        this.pg = pg;
        this.dir = dir;
        this.ini = ini;
        this.logfile = logfile;
        this.port = port;
    }

    /** Builder-style settings: {@code [pgbouncer]} overrides and extra {@code [databases]} lines. */
    public static final class Settings {
        final Map<String, String> pgbouncer = new LinkedHashMap<>();
        final Map<String, String> databases = new LinkedHashMap<>();
        final java.util.List<String> authFileLines = new java.util.ArrayList<>();
        final Map<String, String> users = new LinkedHashMap<>();
        final Map<Integer, String> peers = new LinkedHashMap<>();

        public Settings set(String key, String value) {
            pgbouncer.put(key, value);
            return this;
        }

        /** An extra auth_file line {@code "user" "secret"}, after the test roles. */
        public Settings authFileLine(String user, String secret) {
            authFileLines.add(line(user, secret));
            return this;
        }

        public Settings database(String name, String connectString) {
            databases.put(name, connectString);
            return this;
        }

        /** A {@code [users]} entry, e.g. {@code user("md5_user", "pool_size=1 reserve_pool_size=2")}. */
        public Settings user(String name, String settings) {
            users.put(name, settings);
            return this;
        }

        /** A {@code [peers]} entry, e.g. {@code peer(2, "host=127.0.0.1 port=6433")}. */
        public Settings peer(int id, String connectString) {
            peers.put(id, connectString);
            return this;
        }
    }

    public static Settings settings() {
        return new Settings();
    }

    public static PoolerFixture start(PostgresCluster pg, Settings settings) {
        try {
            Path dir = Files.createTempDirectory("poolctl-it-");
            Path userlist = dir.resolve("userlist.txt");
            Files.writeString(userlist, String.join("\n",
                    line(PostgresCluster.MD5_USER, pg.md5Secret(PostgresCluster.MD5_USER)),
                    line(PostgresCluster.SCRAM_USER, pg.scramSecret(PostgresCluster.SCRAM_USER)),
                    line(PostgresCluster.CLEARTEXT_USER, PostgresCluster.CLEARTEXT_PASSWORD),
                    line(PostgresCluster.TRUST_USER, PostgresCluster.TRUST_PASSWORD),
                    line(PostgresCluster.SUPERUSER, "unused")) + "\n"
                    + settings.authFileLines.stream().map(l -> l + "\n").collect(java.util.stream.Collectors.joining()));
            // listen_port given: several poolers on one port (so_reuseport), or ports known before the start (peers)
            int port = settings.pgbouncer.containsKey("listen_port")
                    ? Integer.parseInt(settings.pgbouncer.get("listen_port")) : FreePort.find();
            Path logfile = dir.resolve("pooler.log");
            Map<String, String> general = new LinkedHashMap<>();
            general.put("listen_addr", "127.0.0.1");
            general.put("listen_port", Integer.toString(port));
            general.put("unix_socket_dir", dir.toString());
            general.put("auth_type", "md5");
            general.put("auth_file", userlist.toString());
            general.put("pool_mode", "transaction");
            general.put("logfile", logfile.toString());
            general.put("ignore_startup_parameters", "extra_float_digits");
            // The IT suite runs twice in `mvn verify`: with one event loop, and with EVENT_LOOPS loops (pom.xml).
            general.put("event_loops", System.getProperty("poolctl.it.eventLoops", "1"));
            // PgBouncer's default defers accept until a connection's first bytes (45 s for a silent one); tests of
            // silent and slow clients need them accepted at once. TcpOptionsIT tests the default.
            general.put("tcp_defer_accept", "0");
            general.putAll(settings.pgbouncer);
            StringBuilder text = new StringBuilder("[databases]\n");
            text.append("testdb = host=127.0.0.1 port=").append(pg.port()).append(" dbname=testdb\n");
            settings.databases.forEach((k, v) -> text.append(k).append(" = ")
                    .append(v.replace("${port}", Integer.toString(pg.port()))).append('\n'));
            text.append("\n[pgbouncer]\n");
            general.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
            if (!settings.peers.isEmpty()) {
                text.append("\n[peers]\n");
                settings.peers.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
            }
            if (!settings.users.isEmpty()) {
                text.append("\n[users]\n");
                settings.users.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
            }
            Path ini = dir.resolve("pgbouncer.ini");
            Files.writeString(ini, text.toString());
            PoolerFixture f = new PoolerFixture(pg, dir, ini, logfile, port);
            f.daemon = PoolerDaemon.start(ini, true, 0);
            return f;
        } catch (Exception e) {
            throw new IllegalStateException("pooler did not start: " + e.getMessage(), e);
        }
    }

    private static String line(String user, String secret) {
        return "\"" + user + "\" \"" + secret + "\"";
    }

    public PoolerDaemon daemon() { return daemon; }
    public PostgresCluster postgres() { return pg; }
    public int port() { return port; }
    public String host() { return "127.0.0.1"; }
    public Path dir() { return dir; }
    public Path ini() { return ini; }

    public String jdbcUrl(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
    }

    /** pgjdbc through the pooler; extra properties like {@code prepareThreshold} may be given as k=v pairs. */
    public Connection connect(String db, String user, String password, String... props) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(db), jdbcProperties(user, password, props));
    }

    /** pgjdbc properties every test client uses (bounded timeouts, no TLS) plus {@code k=v} extras. */
    public static Properties jdbcProperties(String user, String password, String... props) {
        Properties p = new Properties();
        p.setProperty("user", user);
        if (password != null) {
            p.setProperty("password", password);
        }
        p.setProperty("sslmode", "disable");
        p.setProperty("connectTimeout", "10");
        p.setProperty("socketTimeout", "60");
        for (String kv : props) {
            int eq = kv.indexOf('=');
            p.setProperty(kv.substring(0, eq), kv.substring(eq + 1));
        }
        return p;
    }

    /** Logs in through the pooler and returns {@code current_user}: who the server session runs as. */
    public String currentUser(String db, String user, String password, String... props) throws SQLException {
        try (Connection c = connect(db, user, password, props);
             java.sql.Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT current_user")) {
            if (!rs.next()) {
                throw new SQLException("SELECT current_user returned no row");
            }
            return rs.getString(1);
        }
    }

    public Connection connect() throws SQLException {
        return connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
    }

    /** Runs a client binary of the cluster (psql, pgbench) against the pooler. */
    public Processes.Result run(String binary, String user, String password, Duration timeout, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(pg.binary(binary).toString());
        cmd.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(port), "-U", user));
        cmd.addAll(List.of(args));
        return Processes.run(cmd, Map.of("PGPASSWORD", password, "PGCONNECT_TIMEOUT", "10"), null, timeout);
    }

    public String log() {
        try {
            if (daemon != null) {
                daemon.log().flush(5_000); // the log is written by its own thread: see every line logged so far
            }
            return Files.exists(logfile) ? Files.readString(logfile, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Waits until the log has a line matching {@code regex}. */
    public void awaitLog(String regex, Duration timeout) {
        Pattern p = Pattern.compile(regex);
        await("log line /" + regex + "/", timeout, () -> p.matcher(log()).find());
    }

    /** Reads pool state with the pooler's event loops held (on the loop itself when there is one). */
    public <T> T inLoop(java.util.concurrent.Callable<T> read) {
        try {
            return daemon.inLoop(read);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public Pool pool(String db, String user) {
        return inLoop(() -> daemon.poolManagers().stream().flatMap(m -> m.pools().stream())
                .filter(p -> p.key().database().equals(db) && p.key().user().equals(user))
                .findFirst().orElse(null));
    }

    /** Polls a condition every 20 ms; fails with {@code what} when it stays false. */
    public static void await(String what, Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what);
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted waiting for " + what);
            }
        }
    }

    @Override
    public void close() {
        if (daemon != null) {
            daemon.shutdown(PoolerDaemon.ShutdownMode.IMMEDIATE);
            try {
                daemon.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp dir is harmless; the test result stands
        }
    }
}

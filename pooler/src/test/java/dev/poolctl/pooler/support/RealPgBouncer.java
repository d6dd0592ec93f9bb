package dev.poolctl.pooler.support;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.ProcessBuilder.Redirect;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;

/**
 * The real PgBouncer (Debian's {@code pgbouncer} package) in front of the test {@link PostgresCluster}, for
 * comparing poolctl with it. Written to mirror {@link PoolerFixture}: a pgbouncer.ini, userlist, logfile,
 * pidfile and unix socket in a fresh temp dir under /tmp, {@code listen_addr = 127.0.0.1} on a free port,
 * {@code auth_type = md5}, {@code pool_mode = transaction}, {@code ignore_startup_parameters = extra_float_digits},
 * {@code [databases] testdb = host=127.0.0.1 port=<cluster> dbname=testdb}; the caller adds {@code [pgbouncer]}
 * keys. The userlist holds {@value PostgresCluster#MD5_USER} with the md5 secret PostgreSQL stored, and
 * {@value PostgresCluster#CLEARTEXT_USER} with its password (a second user for tests of per-database limits).
 *
 * <p>PgBouncer refuses to run as root: when the JVM is root (checked with {@code id -u}), the temp dir and its
 * files are chowned to the OS user {@code postgres} and PgBouncer runs through {@code runuser -u postgres --}.
 * It runs in the foreground (no {@code -d}); its real PID is read from the pidfile (and checked to be a
 * descendant of the process started here). {@link #close()} sends that PID SIGTERM, then SIGKILL if it has not
 * exited within 10 s, and deletes the temp dir; a JVM shutdown hook does the same should close() never run.
 *
 * <p>The binary: the system property {@value #BINARY_PROPERTY} if set (a path; an unusable path means "not
 * installed", handy to check that tests skip), else {@code pgbouncer} on PATH, else {@code /usr/sbin/pgbouncer}.
 * This class never installs anything.
 */
public final class RealPgBouncer implements AutoCloseable {
    /** System property naming the PgBouncer binary to use instead of searching PATH and /usr/sbin. */
    public static final String BINARY_PROPERTY = "poolctl.pgbouncer";

    private static final String OS_USER = "postgres";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int PORT_ATTEMPTS = 3;

    private final Path binary;
    private final PostgresCluster pg;
    private final Map<String, String> settings;
    private final boolean asRoot;
    private final Path dir;
    private final Path ini;
    private final Path userlist;
    private final Path logfile;
    private final Path pidfile;
    private final Path output;
    private final Thread shutdownHook;

    private volatile Process process;
    private volatile ProcessHandle pgbouncer;
    private int port = -1;
    private boolean closed;

    private RealPgBouncer(Path binary, PostgresCluster pg, Map<String, String> settings, boolean asRoot, Path dir) {
        this.binary = binary;
        this.pg = pg;
        this.settings = new LinkedHashMap<>(settings);
        this.asRoot = asRoot;
        this.dir = dir;
        this.ini = dir.resolve("pgbouncer.ini");
        this.userlist = dir.resolve("userlist.txt");
        this.logfile = dir.resolve("pgbouncer.log");
        this.pidfile = dir.resolve("pgbouncer.pid");
        this.output = dir.resolve("pgbouncer.out");
        this.shutdownHook = new Thread(this::stopAndDelete, "real-pgbouncer-shutdown");
    }

    /** The PgBouncer binary to use, or empty when it is not installed (see the class comment). */
    public static Optional<Path> binary() {
        String override = System.getProperty(BINARY_PROPERTY);
        if (override != null && !override.isBlank()) {
            Path p = Path.of(override);
            return Files.isRegularFile(p) && Files.isExecutable(p) ? Optional.of(p) : Optional.empty();
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(File.pathSeparator)) {
                if (entry.isEmpty()) {
                    continue;
                }
                Path p = Path.of(entry, "pgbouncer");
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        Path sbin = Path.of("/usr/sbin/pgbouncer");
        return Files.isRegularFile(sbin) && Files.isExecutable(sbin) ? Optional.of(sbin) : Optional.empty();
    }

    /** The first line of {@code pgbouncer --version}, e.g. {@code PgBouncer 1.18.0}. */
    public static String version(Path binary) {
        Processes.Result r = Processes.command(binary.toString(), "--version").timeout(Duration.ofSeconds(10)).run();
        String first = r.stdout().lines().findFirst().orElse("").trim();
        return first.isEmpty() ? r.output().trim() : first;
    }

    /**
     * Writes the files, starts PgBouncer and waits (polling, bounded) until it answers on its port.
     *
     * @param settings extra {@code [pgbouncer]} keys (override the defaults above), e.g. admin_users
     * @throws IllegalStateException if it did not start; its output and log are in the message
     */
    public static RealPgBouncer start(Path binary, PostgresCluster pg, Map<String, String> settings) {
        boolean asRoot = isRoot();
        Path dir;
        try {
            // Directly under /tmp: a short unix socket path, and every parent is traversable by postgres.
            dir = Files.createTempDirectory(Path.of("/tmp"), "pgbouncer-it-");
        } catch (IOException e) {
            throw new UncheckedIOException("could not create a temp dir under /tmp", e);
        }
        RealPgBouncer b = new RealPgBouncer(binary, pg, settings, asRoot, dir);
        Runtime.getRuntime().addShutdownHook(b.shutdownHook);
        try {
            b.launch();
        } catch (RuntimeException | Error e) {
            b.close();
            throw e;
        }
        return b;
    }

    public int port() { return port; }
    public String host() { return "127.0.0.1"; }
    public Path dir() { return dir; }
    public Path ini() { return ini; }
    /** PgBouncer's own PID (not runuser's). */
    public long pid() { return pgbouncer == null ? -1 : pgbouncer.pid(); }

    public String jdbcUrl(String db) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + db;
    }

    /**
     * pgjdbc through PgBouncer, with the same defaults as {@link PoolerFixture#connect(String, String, String, String...)}.
     *
     * <p>For the console (database {@code pgbouncer}) the socket comes from {@link ConsoleSocketFactory}: pgjdbc
     * 42.7.5+ sends {@code SET extra_float_digits = 2} after login to any server that reports a version below 12,
     * and PgBouncer's console up to 1.25.2 refuses it ("SET failed", pgbouncer/pgbouncer#1509, fixed by #1550
     * after 1.25.2, which accepts and ignores it), so no pgjdbc can open the console of this PgBouncer otherwise.
     * The factory answers that one statement as the fixed PgBouncer does; everything else passes unchanged.
     */
    public Connection connect(String db, String user, String password, String... props) throws SQLException {
        Properties p = PoolerFixture.jdbcProperties(user, password, props);
        if ("pgbouncer".equals(db)) {
            p.setProperty("socketFactory", ConsoleSocketFactory.class.getName());
        }
        return DriverManager.getConnection(jdbcUrl(db), p);
    }

    /** PgBouncer's logfile plus what it wrote to stdout/stderr. */
    public String log() {
        return read(logfile) + read(output);
    }

    // ------------------------------------------------------------------ start

    private void launch() {
        try {
            Files.writeString(userlist, "\"" + PostgresCluster.MD5_USER + "\" \""
                    + pg.md5Secret(PostgresCluster.MD5_USER) + "\"\n\"" + PostgresCluster.CLEARTEXT_USER + "\" \""
                    + PostgresCluster.CLEARTEXT_PASSWORD + "\"\n");
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + userlist, e);
        }
        for (int attempt = 1; ; attempt++) {
            port = FreePort.find();
            writeIni();
            handOverToOsUser();
            List<String> cmd = new ArrayList<>();
            if (asRoot) {
                cmd.addAll(List.of(runuser(), "-u", OS_USER, "--"));
            }
            cmd.addAll(List.of(binary.toString(), ini.toString()));
            try {
                process = new ProcessBuilder(cmd)
                        .directory(dir.toFile())
                        .redirectInput(Redirect.from(new File("/dev/null")))
                        .redirectErrorStream(true)
                        .redirectOutput(Redirect.appendTo(output.toFile()))
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("could not start " + String.join(" ", cmd), e);
            }
            if (awaitReady()) {
                pgbouncer = findPgBouncerProcess();
                return;
            }
            String log = log();
            boolean portTaken = log.contains("Address already in use") || log.contains("could not bind");
            if (portTaken && attempt < PORT_ATTEMPTS) {
                continue; // the port was taken between FreePort.find() and bind: try another
            }
            throw new IllegalStateException("pgbouncer exited during start-up (exit code " + process.exitValue()
                    + "); its output and log:\n" + log);
        }
    }

    private void writeIni() {
        Map<String, String> general = new LinkedHashMap<>();
        general.put("listen_addr", "127.0.0.1");
        general.put("listen_port", Integer.toString(port));
        general.put("unix_socket_dir", dir.toString());
        general.put("auth_type", "md5");
        general.put("auth_file", userlist.toString());
        general.put("pool_mode", "transaction");
        general.put("logfile", logfile.toString());
        general.put("pidfile", pidfile.toString());
        general.put("ignore_startup_parameters", "extra_float_digits");
        general.putAll(settings);
        StringBuilder text = new StringBuilder("[databases]\n");
        text.append(PostgresCluster.TEST_DB).append(" = host=127.0.0.1 port=").append(pg.port())
                .append(" dbname=").append(PostgresCluster.TEST_DB).append('\n');
        text.append("\n[pgbouncer]\n");
        general.forEach((k, v) -> text.append(k).append(" = ").append(v).append('\n'));
        try {
            Files.writeString(ini, text.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("could not write " + ini, e);
        }
    }

    /** As root: the temp dir and everything in it belong to postgres, which PgBouncer runs as. */
    private void handOverToOsUser() {
        if (!asRoot) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(OS_USER);
            for (Path p : files.toList()) {
                Files.setOwner(p, owner);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not chown " + dir + " to " + OS_USER
                    + " (PgBouncer refuses to run as root and runs as that user)", e);
        }
    }

    /**
     * Polls until PgBouncer has written its pidfile and answers an SSLRequest on its port (the event loop
     * serves clients; no login needed). False if the process exited; throws on timeout.
     */
    private boolean awaitReady() {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        String last = "not tried";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                return false;
            }
            if (readPidfile() > 0) {
                try {
                    char answer = sslProbe();
                    if (answer == 'N' || answer == 'S') {
                        return true;
                    }
                    last = "unexpected answer to SSLRequest: " + (int) answer;
                } catch (IOException e) {
                    last = e.toString();
                }
            } else {
                last = "no pidfile yet";
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for pgbouncer", e);
            }
        }
        throw new IllegalStateException("pgbouncer did not accept connections on 127.0.0.1:" + port + " within "
                + READY_TIMEOUT.toSeconds() + " s (last: " + last + "); its output and log:\n" + log());
    }

    private char sslProbe() throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(2000);
            OutputStream out = s.getOutputStream();
            out.write(ByteBuffer.allocate(8).putInt(8).putInt(80877103).array());
            out.flush();
            InputStream in = s.getInputStream();
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed without an answer");
            }
            return (char) b;
        }
    }

    private long readPidfile() {
        try {
            String text = Files.readString(pidfile).trim();
            return text.isEmpty() ? -1 : Long.parseLong(text);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /**
     * PgBouncer's process: the PID from the pidfile when that is the started process or one of its descendants
     * (runuser forks it), else the started process's descendant (or, not as root, the process itself).
     */
    private ProcessHandle findPgBouncerProcess() {
        long pid = readPidfile();
        if (pid == process.pid()) {
            return process.toHandle();
        }
        Optional<ProcessHandle> fromPidfile = process.descendants().filter(h -> h.pid() == pid).findFirst();
        if (fromPidfile.isPresent()) {
            return fromPidfile.get();
        }
        return asRoot ? process.descendants().findFirst().orElse(process.toHandle()) : process.toHandle();
    }

    // ------------------------------------------------------------------ stop

    /** Stops PgBouncer by its PID (SIGTERM, then SIGKILL) and deletes the temp dir. Idempotent. */
    @Override
    public void close() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook runs (or is about to) and does the same work
        }
        stopAndDelete();
    }

    private synchronized void stopAndDelete() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (pgbouncer == null && process != null) {
                pgbouncer = findPgBouncerProcess();
            }
            if (pgbouncer != null) {
                terminate(pgbouncer);
            }
            // runuser exits with its child; should it not, stop it too (by the handle we started).
            if (process != null && process.isAlive()) {
                terminate(process.toHandle());
            }
        } finally {
            deleteDir();
        }
    }

    private static void terminate(ProcessHandle h) {
        if (!h.isAlive()) {
            return;
        }
        h.destroy(); // SIGTERM: PgBouncer 1.x shuts down at once
        if (!awaitExit(h, STOP_TIMEOUT)) {
            h.destroyForcibly(); // SIGKILL
            awaitExit(h, Duration.ofSeconds(5));
        }
    }

    private static boolean awaitExit(ProcessHandle h, Duration timeout) {
        try {
            h.onExit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return !h.isAlive();
        } catch (ExecutionException e) {
            return !h.isAlive();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return !h.isAlive();
        }
    }

    private void deleteDir() {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover temp dir is harmless; the test result stands
        }
    }

    // ------------------------------------------------------------------ pgjdbc vs PgBouncer's console

    /**
     * A pgjdbc {@code socketFactory} whose sockets answer the driver's {@code SET extra_float_digits = N} with
     * CommandComplete {@code SET} + ReadyForQuery themselves instead of sending it, as PgBouncer's console does
     * since pgbouncer/pgbouncer#1550 (see {@link #connect}). Every other byte goes to PgBouncer unchanged.
     */
    public static final class ConsoleSocketFactory extends javax.net.SocketFactory {
        public ConsoleSocketFactory() {
        }

        @Override
        public Socket createSocket() {
            return new ConsoleSocket();
        }

        @Override
        public Socket createSocket(String host, int port) throws IOException {
            Socket s = createSocket();
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(String host, int port, java.net.InetAddress localHost, int localPort) throws IOException {
            Socket s = createSocket();
            s.bind(new InetSocketAddress(localHost, localPort));
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(java.net.InetAddress host, int port) throws IOException {
            Socket s = createSocket();
            s.connect(new InetSocketAddress(host, port));
            return s;
        }

        @Override
        public Socket createSocket(java.net.InetAddress address, int port, java.net.InetAddress localAddress, int localPort)
                throws IOException {
            Socket s = createSocket();
            s.bind(new InetSocketAddress(localAddress, localPort));
            s.connect(new InetSocketAddress(address, port));
            return s;
        }
    }

    private static final java.util.regex.Pattern EXTRA_FLOAT_DIGITS =
            java.util.regex.Pattern.compile("(?i)\\s*SET\\s+extra_float_digits\\s*(=|TO)\\s*\\d+\\s*;?\\s*");

    /** A plain TCP socket whose streams filter that one Query message (frontend messages are framed here). */
    private static final class ConsoleSocket extends Socket {
        private final java.io.ByteArrayOutputStream pendingOut = new java.io.ByteArrayOutputStream();
        private final java.util.ArrayDeque<Byte> injected = new java.util.ArrayDeque<>();
        private boolean startupDone;
        private InputStream in;
        private OutputStream out;

        @Override
        public synchronized InputStream getInputStream() throws IOException {
            if (in == null) {
                InputStream raw = super.getInputStream();
                in = new InputStream() {
                    @Override
                    public int read() throws IOException {
                        synchronized (injected) {
                            if (!injected.isEmpty()) {
                                return injected.poll() & 0xff;
                            }
                        }
                        return raw.read();
                    }

                    @Override
                    public int read(byte[] b, int off, int len) throws IOException {
                        if (len == 0) {
                            return 0;
                        }
                        synchronized (injected) {
                            if (!injected.isEmpty()) {
                                int n = 0;
                                while (n < len && !injected.isEmpty()) {
                                    b[off + n++] = injected.poll();
                                }
                                return n;
                            }
                        }
                        return raw.read(b, off, len);
                    }

                    @Override
                    public int available() throws IOException {
                        synchronized (injected) {
                            return injected.size() + raw.available();
                        }
                    }

                    @Override
                    public void close() throws IOException {
                        raw.close();
                    }
                };
            }
            return in;
        }

        @Override
        public synchronized OutputStream getOutputStream() throws IOException {
            if (out == null) {
                OutputStream raw = super.getOutputStream();
                out = new OutputStream() {
                    @Override
                    public void write(int b) throws IOException {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        pendingOut.write(b, off, len);
                        forwardCompleteMessages(raw);
                    }

                    @Override
                    public void flush() throws IOException {
                        raw.flush();
                    }

                    @Override
                    public void close() throws IOException {
                        raw.close();
                    }
                };
            }
            return out;
        }

        /** Sends every complete frontend message buffered so far, answering the driver's SET itself. */
        private void forwardCompleteMessages(OutputStream raw) throws IOException {
            byte[] buf = pendingOut.toByteArray();
            int pos = 0;
            while (true) {
                int header = startupDone ? 1 : 0;
                if (buf.length - pos < header + 4) {
                    break;
                }
                int len = ByteBuffer.wrap(buf, pos + header, 4).getInt();
                int total = header + len;
                if (len < 4 || buf.length - pos < total) {
                    break;
                }
                if (!startupDone) {
                    int code = len >= 8 ? ByteBuffer.wrap(buf, pos + 4, 4).getInt() : 0;
                    // SSLRequest / GSSENCRequest come before the StartupMessage; after that every message is typed.
                    startupDone = code != 80877103 && code != 80877104;
                    raw.write(buf, pos, total);
                } else if (buf[pos] == 'Q' && EXTRA_FLOAT_DIGITS.matcher(
                        new String(buf, pos + 5, Math.max(0, len - 5), StandardCharsets.UTF_8)).matches()) {
                    answerSetLocally();
                } else {
                    raw.write(buf, pos, total);
                }
                pos += total;
            }
            pendingOut.reset();
            pendingOut.write(buf, pos, buf.length - pos);
        }

        private void answerSetLocally() {
            ByteBuffer reply = ByteBuffer.allocate(1 + 4 + 4 + 1 + 4 + 1);
            reply.put((byte) 'C').putInt(4 + 4).put("SET".getBytes(StandardCharsets.US_ASCII)).put((byte) 0);
            reply.put((byte) 'Z').putInt(5).put((byte) 'I');
            synchronized (injected) {
                for (byte b : reply.array()) {
                    injected.add(b);
                }
            }
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String read(Path p) {
        try {
            return Files.exists(p) ? Files.readString(p, StandardCharsets.UTF_8) : "";
        } catch (IOException e) {
            return "(could not read " + p + ": " + e + ")\n";
        }
    }

    private static boolean isRoot() {
        Processes.Result r = Processes.command("id", "-u").timeout(Duration.ofSeconds(10)).run();
        return r.succeeded() ? "0".equals(r.stdout().trim()) : "root".equals(System.getProperty("user.name"));
    }

    private static String runuser() {
        for (String candidate : List.of("/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser")) {
            if (Files.isExecutable(Path.of(candidate))) {
                return candidate;
            }
        }
        throw new IllegalStateException("running as root needs runuser (util-linux) to run PgBouncer as '" + OS_USER
                + "' (it refuses to run as root), but it was not found in /usr/sbin, /sbin, /usr/bin or /bin");
    }

    @Override
    public String toString() {
        return "RealPgBouncer[" + binary + " on 127.0.0.1:" + port + ", pid " + pid() + ", dir " + dir + "]";
    }
}

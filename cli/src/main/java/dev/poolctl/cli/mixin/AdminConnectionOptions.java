package dev.poolctl.cli.mixin;

import dev.poolctl.client.AdminClient;
import dev.poolctl.client.PgPass;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import java.io.Console;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * How a command reaches the admin console: {@code -h -p -U}, else the {@code -c} pgbouncer.ini (listen_addr,
 * listen_port, unix_socket_dir, the first admin_users entry), else PGHOST/PGPORT/PGUSER, else
 * 127.0.0.1:6432 as user pgbouncer. The password is never taken from argv: {@code --passfile}, PGPASSWORD,
 * PGPASSFILE or ~/.pgpass, then a no-echo prompt when there is a console.
 */
public final class AdminConnectionOptions {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 6432;
    public static final String DEFAULT_USER = "pgbouncer";

    @Option(names = {"-h", "--host"}, paramLabel = "HOST")
    String host;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT")
    Integer port;

    @Option(names = {"-U", "--user"}, paramLabel = "USER")
    String user;

    @Option(names = {"-c", "--config"}, paramLabel = "FILE")
    Path config;

    /** The -c file, or null: {@code reload --dry-run} compares it with the running settings. */
    public Path configFile() {
        return config;
    }

    @Option(names = "--passfile", paramLabel = "FILE")
    Path passfile;

    @Option(names = "--connect-timeout", paramLabel = "SECONDS", defaultValue = "10")
    int connectTimeoutSeconds;

    @Option(names = "--timeout", paramLabel = "SECONDS")
    Integer timeoutSeconds;

    /** A problem with the options themselves (unreadable config): exit code 2. */
    public static final class OptionsException extends Exception {
        private static final long serialVersionUID = 1L;

        public OptionsException(String message) {
            super(message);
        }
    }

    /** Where to connect and how to get the password. */
    public record Resolved(AdminClient.Target target, Function<String, String> password, int connectTimeoutMillis,
            Integer readTimeoutSeconds) {
        public int readTimeoutMillis(int commandDefaultSeconds) {
            int s = readTimeoutSeconds != null ? readTimeoutSeconds : commandDefaultSeconds;
            return Math.max(0, s) * 1000;
        }

        /**
         * The same, but the password is asked at most once and then reused: for commands that log in again later
         * (poolctl top reconnecting), where a prompt would land in the middle of the screen.
         */
        public Resolved rememberingPassword() {
            Map<String, String> asked = new java.util.HashMap<>();
            Function<String, String> once = u -> {
                if (!asked.containsKey(u)) {
                    asked.put(u, password.apply(u));
                }
                return asked.get(u);
            };
            return new Resolved(target, once, connectTimeoutMillis, readTimeoutSeconds);
        }
    }

    public Resolved resolve(PrintWriter err) throws OptionsException {
        return resolve(System.getenv(), err, System.console());
    }

    /** Testable: the environment and console are given. */
    public Resolved resolve(Map<String, String> env, PrintWriter err, Console console) throws OptionsException {
        return resolve(env, err, console, null, null);
    }

    /**
     * The same options aimed at one instance of a fleet instead of -h/-p (the user as always); a password that no
     * file or PGPASSWORD gives comes from {@code prompt} (asked once for the whole fleet), never from a prompt per
     * instance.
     */
    public Resolved resolveAt(FleetOptions.Instance at, PrintWriter err, Function<String, String> prompt)
            throws OptionsException {
        return resolve(System.getenv(), err, null, at, prompt);
    }

    private Resolved resolve(Map<String, String> env, PrintWriter err, Console console, FleetOptions.Instance at,
                             Function<String, String> prompt) throws OptionsException {
        String h = at != null ? at.host() : host;
        Integer p = at != null ? Integer.valueOf(at.port()) : port;
        String u = user;
        if (config != null) {
            GeneralSettings g;
            try {
                g = IniLoader.load(config).config().general();
            } catch (ConfigException e) {
                throw new OptionsException("cannot use " + config + ": " + e.getMessage());
            }
            if (h == null) {
                h = hostFrom(g);
            }
            if (p == null) {
                p = g.listenPort();
            }
            if (u == null && !g.adminUsers().isEmpty()) {
                u = g.adminUsers().get(0);
            }
        }
        if (h == null) {
            h = nonEmpty(env.get("PGHOST")).orElse(DEFAULT_HOST);
        }
        if (p == null) {
            String envPort = env.get("PGPORT");
            try {
                p = envPort == null || envPort.isBlank() ? DEFAULT_PORT : Integer.parseInt(envPort.trim());
            } catch (NumberFormatException e) {
                throw new OptionsException("invalid PGPORT: " + envPort);
            }
        }
        if (u == null) {
            u = nonEmpty(env.get("PGUSER")).orElse(DEFAULT_USER);
        }
        if (p < 1 || p > 65535) {
            throw new OptionsException("invalid port: " + p);
        }
        if (connectTimeoutSeconds < 1) {
            throw new OptionsException("--connect-timeout must be at least 1 second");
        }
        AdminClient.Target target = new AdminClient.Target(h, p, u);
        Function<String, String> fromFiles = password(target, env, err, console);
        Function<String, String> pw = prompt == null ? fromFiles : who -> {
            String found = fromFiles.apply(who);
            return found != null ? found : prompt.apply(who);
        };
        return new Resolved(target, pw, connectTimeoutSeconds * 1000, timeoutSeconds);
    }

    /** listen_addr's first address ({@code *} = this host), else the unix socket directory. */
    private static String hostFrom(GeneralSettings g) {
        List<String> addrs = g.listenAddr();
        if (!addrs.isEmpty()) {
            String a = addrs.get(0);
            if (a.equals("*") || a.equals("0.0.0.0")) {
                return DEFAULT_HOST;
            }
            return a.equals("::") ? "::1" : a;
        }
        String dir = g.unixSocketDir();
        return dir == null || dir.isEmpty() ? DEFAULT_HOST : dir;
    }

    private Function<String, String> password(AdminClient.Target t, Map<String, String> env, PrintWriter err,
            Console console) {
        return who -> {
            if (passfile != null) {
                Optional<String> pw = PgPass.read(passfile, err::println)
                        .flatMap(f -> f.lookup(t.host(), t.port(), "pgbouncer", who));
                if (pw.isPresent()) {
                    return pw.get();
                }
            }
            String envPw = env.get("PGPASSWORD");
            if (envPw != null) {
                return envPw;
            }
            Path file = nonEmpty(env.get("PGPASSFILE")).map(Path::of)
                    .orElseGet(() -> Path.of(System.getProperty("user.home"), ".pgpass"));
            Optional<String> pw = PgPass.read(file, err::println)
                    .flatMap(f -> f.lookup(t.host(), t.port(), "pgbouncer", who));
            if (pw.isPresent()) {
                return pw.get();
            }
            if (console != null) {
                char[] typed = console.readPassword("Password for user %s: ", who);
                return typed == null ? null : new String(typed);
            }
            return null;
        };
    }

    private static Optional<String> nonEmpty(String s) {
        return s == null || s.isEmpty() ? Optional.empty() : Optional.of(s);
    }
}

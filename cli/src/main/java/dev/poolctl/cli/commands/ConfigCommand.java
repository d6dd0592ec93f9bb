package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.pooler.PoolerDaemon;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.AuthType;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.config.AuthQuerySource;
import dev.poolctl.pooler.config.SupportedSettings;
import dev.poolctl.pooler.config.PoolMode;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code poolctl config}: checks a pgbouncer.ini with the pooler's own loader, and shows the effective settings. */
@Command(
        name = "config",
        mixinStandardHelpOptions = true,
        subcommands = {ConfigCommand.Check.class, ConfigCommand.Show.class, ConfigFromEnv.class})
public final class ConfigCommand implements Callable<Integer> {
    /** Exit code of {@code config check} when the pooler would refuse the file. */
    public static final int CHECK_ERRORS = 2;
    /** Exit code of {@code config check --strict} when there are warnings only. */
    public static final int CHECK_WARNINGS = 1;

    /** auth_type values for which the pooler needs a secret from auth_file to log in to the server as a user. */
    private static final EnumSet<AuthType> NEEDS_SECRETS = EnumSet.of(AuthType.PLAIN, AuthType.MD5, AuthType.SCRAM_SHA_256);

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }

    /** One finding: where ({@code file:line} or file) and what. */
    record Finding(String where, String message) {
        String format(String level) {
            return (where == null ? "" : where + ": ") + level + ": " + message;
        }
    }

    /** The result of checking a file. */
    record Report(List<String> errors, List<Finding> warnings) {}

    @Command(name = "check", mixinStandardHelpOptions = true)
    public static final class Check implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "pgbouncer.ini")
        Path config;

        @Option(names = "--strict")
        boolean strict;

        @Option(names = "--online")
        boolean online;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Report report = check(config, ConfigCommand::openFilesSoftLimit);
            if (online && report.errors().isEmpty()) {
                List<Finding> all = new ArrayList<>(report.warnings());
                try {
                    PoolerConfig loaded = IniLoader.load(config).config();
                    Userlist users = null;
                    try {
                        users = PoolerDaemon.loadUserlist(config, loaded);
                    } catch (ConfigException unreadable) {
                        // already an error or warning of the offline check
                    }
                    all.addAll(OnlineCheck.run(loaded, users, out));
                } catch (ConfigException e) {
                    // the offline check had it
                }
                report = new Report(report.errors(), all);
            }
            report.errors().forEach(e -> out.println("error: " + e));
            report.warnings().forEach(w -> out.println(w.format("warning")));
            out.println(config + ": " + report.errors().size() + " error(s), " + report.warnings().size() + " warning(s)");
            out.flush();
            if (!report.errors().isEmpty()) {
                return CHECK_ERRORS;
            }
            return strict && !report.warnings().isEmpty() ? CHECK_WARNINGS : ExitCodes.OK;
        }
    }

    /** Supplies the soft limit of open files, empty when unlimited or unknown. */
    interface Limit {
        OptionalLong openFiles();
    }

    /** Everything {@code config check} reports about {@code file}. */
    static Report check(Path file, Limit limit) {
        List<String> errors = new ArrayList<>();
        List<Finding> warnings = new ArrayList<>();
        IniLoader.LoadResult loaded;
        try {
            loaded = IniLoader.load(file);
        } catch (ConfigException e) {
            errors.add(e.getMessage());
            return new Report(errors, warnings);
        }
        PoolerConfig config = loaded.config();
        GeneralSettings g = config.general();
        Map<Setting, String> at = loaded.settingOrigins();
        String fileName = file.toString();
        loaded.warnings().forEach(w -> warnings.add(new Finding(null, w)));
        try {
            PoolerDaemon.checkSupported(file, config);
            PoolerDaemon.buildTls(file, config); // the key, certificate and CA files as `start` reads them
            dev.poolctl.pooler.net.TlsContexts.expiryWarnings(g, file.toAbsolutePath().getParent(),
                    java.time.Instant.now()).forEach(w -> warnings.add(new Finding(null, w)));
        } catch (ConfigException e) {
            errors.add(e.getMessage());
        }

        // (a) auth_file: the daemon refuses to start when it cannot read it, so that is an error here too.
        Userlist userlist = null;
        Path authFile = PoolerDaemon.resolveAuthFile(file, config);
        if (authFile == null) {
            if (g.authType() != AuthType.ANY && g.authUser() == null) {
                // With trust too: PgBouncer lets in only users listed in auth_file, and so does the pooler.
                warnings.add(new Finding(at.getOrDefault(Setting.AUTH_TYPE, fileName), "auth_file is not set:"
                        + " no client can log in with auth_type " + g.authType()
                        + (g.authType() == AuthType.TRUST ? " (trust still needs the user listed in auth_file)" : "")));
            }
        } else if (!Files.isRegularFile(authFile) || !Files.isReadable(authFile)) {
            errors.add(at.get(Setting.AUTH_FILE) + ": auth_file " + authFile
                    + (Files.exists(authFile) ? " is not readable" : " does not exist"));
        } else {
            try {
                userlist = PoolerDaemon.loadUserlist(file, config);
                userlist.warnings().forEach(w -> warnings.add(new Finding(null, w)));
                userlist.emptyPasswords().forEach(w -> warnings.add(new Finding(null, w)));
            } catch (ConfigException e) {
                errors.add(e.getMessage());
            }
        }

        // (a2) auth_type = hba: the daemon starts with the rules it can read (as PgBouncer), so a missing file or a
        // skipped line is a warning that every affected login will be refused.
        List<String> hbaWarnings = new ArrayList<>();
        PoolerDaemon.loadHba(file, config, hbaWarnings);
        hbaWarnings.forEach(w -> warnings.add(new Finding(at.getOrDefault(Setting.AUTH_HBA_FILE, fileName), w)));

        // (b) forced users the pooler has no password for.
        if (NEEDS_SECRETS.contains(g.authType())) {
            for (DatabaseConfig db : config.databases().values()) {
                if (db.user() != null && db.password() == null
                        && (userlist == null || userlist.secret(db.user()).isEmpty())) {
                    warnings.add(new Finding(loaded.databaseOrigins().getOrDefault(db.name(), fileName),
                            "[databases] " + db.name() + ": forced user=" + db.user() + " has no password= and is not"
                            + " in auth_file; the pooler cannot log in to the server as " + db.user()));
                }
            }
        }

        // (c) pools that together may want more servers than max_db_connections allows.
        int maxDb = g.maxDbConnections();
        if (maxDb > 0) {
            int sum = 0;
            for (DatabaseConfig db : config.databases().values()) {
                if (!db.isFallback()) {
                    sum += config.poolSize(db);
                }
            }
            if (sum > maxDb) {
                warnings.add(new Finding(at.getOrDefault(Setting.MAX_DB_CONNECTIONS, fileName), "pool sizes of the "
                        + "[databases] add up to " + sum + ", more than max_db_connections = " + maxDb
                        + "; clients will wait for servers"));
            }
        }

        // (d) more clients than file descriptors.
        OptionalLong files = limit.openFiles();
        if (files.isPresent() && g.maxClientConn() > files.getAsLong()) {
            warnings.add(new Finding(at.getOrDefault(Setting.MAX_CLIENT_CONN, fileName), "max_client_conn = "
                    + g.maxClientConn() + " is above the open-files soft limit " + files.getAsLong()
                    + " (ulimit -n); raise the limit or lower max_client_conn"));
        }

        // (e) server_reset_query does nothing in transaction mode.
        if (at.containsKey(Setting.SERVER_RESET_QUERY) && !g.serverResetQuery().isEmpty()
                && g.poolMode() == PoolMode.TRANSACTION && !g.serverResetQueryAlways()) {
            warnings.add(new Finding(at.get(Setting.SERVER_RESET_QUERY), "server_reset_query is not run in"
                    + " pool_mode = transaction (unless server_reset_query_always = 1); it has no effect"));
        }

        // (f) JDBC sends extra_float_digits at startup; PgBouncer refuses such clients unless told to ignore it.
        if (!g.ignoreStartupParameters().contains("extra_float_digits")) {
            warnings.add(new Finding(at.getOrDefault(Setting.IGNORE_STARTUP_PARAMETERS, fileName),
                    "ignore_startup_parameters lacks extra_float_digits: JDBC clients send it and are refused"
                    + " (unsupported startup parameter)"));
        }

        // (f2) a drain's deadline that comes before its port closes: every client still in a transaction is cut.
        java.time.Duration grace = g.durationValue(Setting.DRAIN_ACCEPT_GRACE);
        java.time.Duration deadline = g.durationValue(Setting.DRAIN_TIMEOUT);
        if (!grace.isZero() && !deadline.isZero() && grace.compareTo(deadline) >= 0) {
            warnings.add(new Finding(at.getOrDefault(Setting.DRAIN_ACCEPT_GRACE, fileName), "drain_accept_grace = "
                    + grace.toSeconds() + "s is not below drain_timeout = " + deadline.toSeconds() + "s: a drain"
                    + " reaches its deadline before it stops taking new clients, and closes every client still in a"
                    + " transaction"));
        }

        // (g) read but not acted on by this version.
        List<Setting> notActing = new java.util.ArrayList<>(PoolerDaemon.settingsNotApplied(config));
        notActing.addAll(SupportedSettings.noEffect(g));
        for (Setting s : notActing) {
            warnings.add(new Finding(at.getOrDefault(s, fileName), s.key() + " " + SupportedSettings.explain(s)));
        }
        for (AuthQuerySource.Warning w : AuthQuerySource.warnings(config)) {
            String where = w.database() == null ? at.getOrDefault(Setting.AUTH_DBNAME, fileName)
                    : loaded.databaseOrigins().getOrDefault(w.database(), fileName);
            warnings.add(new Finding(where, w.text()));
        }
        return new Report(errors, warnings);
    }

    /** The soft "Max open files" of this process from /proc/self/limits; empty if unlimited or not on Linux. */
    public static OptionalLong openFilesSoftLimit() {
        return openFilesSoftLimit(Path.of("/proc/self/limits"));
    }

    static OptionalLong openFilesSoftLimit(Path limits) {
        try {
            for (String line : Files.readAllLines(limits)) {
                if (line.startsWith("Max open files")) {
                    String[] fields = line.substring("Max open files".length()).trim().split("\\s+");
                    return fields.length > 0 && fields[0].chars().allMatch(Character::isDigit) && !fields[0].isEmpty()
                            ? OptionalLong.of(Long.parseLong(fields[0])) : OptionalLong.empty();
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux, or unreadable: skip the check
        }
        return OptionalLong.empty();
    }

    @Command(name = "show", mixinStandardHelpOptions = true)
    public static final class Show implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Option(names = {"-c", "--config"}, paramLabel = "FILE", defaultValue = "pgbouncer.ini")
        Path config;

        @Override
        public Integer call() {
            IniLoader.LoadResult loaded;
            try {
                loaded = IniLoader.load(config);
            } catch (ConfigException e) {
                spec.commandLine().getErr().println("poolctl config show: " + e.getMessage());
                return CHECK_ERRORS;
            }
            GeneralSettings g = loaded.config().general();
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"key", "value", "default", "source"});
            for (Setting s : Setting.values()) {
                rows.add(new String[] {s.key(), g.raw(s), s.normalize(s.defaultValue()),
                    loaded.settingOrigins().containsKey(s) ? "file" : "default"});
            }
            int[] width = new int[3];
            for (String[] row : rows) {
                for (int i = 0; i < width.length; i++) {
                    width[i] = Math.max(width[i], row[i].length());
                }
            }
            PrintWriter out = spec.commandLine().getOut();
            for (String[] row : rows) {
                out.println(String.format("%-" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %s",
                        (Object[]) row));
            }
            loaded.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            out.flush();
            return ExitCodes.OK;
        }
    }
}

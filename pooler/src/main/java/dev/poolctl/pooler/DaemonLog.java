package dev.poolctl.pooler;

import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.log.PoolerLog;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where the log goes: {@code logfile}, {@code syslog}, {@code syslog_ident} and {@code syslog_facility}, at start and
 * on every reload (PgBouncer reopens its logfile then: the same path after logrotate, or a changed one).
 */
final class DaemonLog {
    private DaemonLog() {}

    /** At start: a file that cannot be opened or an unknown facility refuses the start. */
    static void open(Path configFile, PoolerLog log, GeneralSettings g) throws ConfigException, IOException {
        try {
            apply(log, g);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configFile + ": [pgbouncer] " + e.getMessage());
        }
    }

    /** On reload: what cannot be opened is logged, and the log goes on where it went. */
    static void reopen(PoolerLog log, GeneralSettings g) {
        try {
            apply(log, g);
        } catch (IOException | IllegalArgumentException e) {
            log.error("cannot open the log (logfile, syslog), keeping the old one: " + e.getMessage());
        }
    }

    private static void apply(PoolerLog log, GeneralSettings g) throws IOException {
        log.logfile(g.logfile() == null || g.logfile().isEmpty() ? null : Path.of(g.logfile()));
        log.syslog(g.boolValue(Setting.SYSLOG), g.stringValue(Setting.SYSLOG_IDENT),
                g.stringValue(Setting.SYSLOG_FACILITY));
    }
}

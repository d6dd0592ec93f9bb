package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import dev.poolctl.cli.mixin.FleetOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code poolctl reload}: the console's RELOAD, or with --dry-run what it would change. */
@Command(name = "reload")
public final class Reload extends ConsoleCommand {
    @Mixin
    FleetOptions fleet;

    @Override
    protected FleetOptions fleetOptions() {
        return fleet;
    }

    @Option(names = "--dry-run")
    boolean dryRun;

    @Override
    protected String sql() {
        return "RELOAD";
    }

    @Override
    protected String validate() {
        if (dryRun && fleet.given()) {
            return "--dry-run compares one pooler with the -c file: give no fleet options";
        }
        return dryRun && connection.configFile() == null
                ? "--dry-run needs -c FILE: the file the pooler would re-read" : null;
    }

    @Override
    protected int run(AdminClient client) throws IOException, AdminException {
        if (!dryRun) {
            return super.run(client);
        }
        PoolerConfig next;
        try {
            PoolerConfig loaded = IniLoader.load(connection.configFile()).config();
            next = loaded.withGeneral(loaded.general().loadedFrom(connection.configFile(), null)); // as the pooler reads it
        } catch (ConfigException e) {
            err().println("poolctl reload: RELOAD would fail: " + e.getMessage());
            return ExitCodes.ERROR;
        }
        int changes = settingChanges(client.query("SHOW CONFIG"), next) + databaseChanges(client.query("SHOW DATABASES"), next);
        out().println(changes == 0 ? "no changes" : changes + " change(s)");
        return ExitCodes.OK;
    }

    private int settingChanges(AdminClient.Result config, PoolerConfig next) {
        int key = config.columns().indexOf("key");
        int value = config.columns().indexOf("value");
        int changeable = config.columns().indexOf("changeable");
        int changes = 0;
        for (List<String> row : config.rows()) {
            Optional<Setting> setting = Setting.fromKey(row.get(key));
            if (setting.isEmpty()) {
                continue;
            }
            String running = Objects.toString(row.get(value), "");
            String wanted = Objects.toString(next.general().raw(setting.get()), "");
            if (setting.get() == Setting.CONFFILE) {
                if (!sameFile(running, wanted)) { // not a change RELOAD makes: which file it reads
                    out().println("  note: the pooler's RELOAD reads '" + running + "', not this file");
                }
                continue;
            }
            if (!running.equals(wanted)) {
                boolean restart = "no".equals(row.get(changeable));
                out().println("  " + setting.get().key() + ": '" + running + "' -> '" + wanted + "'"
                        + (restart ? "   (needs a restart; RELOAD keeps '" + running + "')" : ""));
                changes++;
            }
        }
        return changes;
    }

    /** conffile as the pooler was started (relative, say) and as -c names it: one file is no change. */
    private static boolean sameFile(String a, String b) {
        try {
            return java.nio.file.Files.isSameFile(java.nio.file.Path.of(a), java.nio.file.Path.of(b));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private int databaseChanges(AdminClient.Result databases, PoolerConfig next) {
        int name = databases.columns().indexOf("name");
        int host = databases.columns().indexOf("host");
        int port = databases.columns().indexOf("port");
        int dbname = databases.columns().indexOf("database");
        Map<String, List<String>> running = new LinkedHashMap<>();
        for (List<String> row : databases.rows()) {
            if (!"pgbouncer".equals(row.get(name))) {
                running.put(row.get(name), row);
            }
        }
        int changes = 0;
        for (DatabaseConfig db : next.databases().values()) {
            List<String> row = running.remove(db.name());
            String target = String.join(",", db.hosts()) + ":" + db.port() + "/" + db.targetDbname();
            if (row == null) {
                out().println("  + database " + db.name() + " (" + target + ")");
                changes++;
            } else {
                String was = Objects.toString(row.get(host), "") + ":" + row.get(port) + "/" + row.get(dbname);
                if (!was.equals(target)) {
                    out().println("  ~ database " + db.name() + ": " + was + " -> " + target
                            + "   (its servers are replaced as they are released)");
                    changes++;
                }
            }
        }
        for (String gone : running.keySet()) {
            out().println("  - database " + gone);
            changes++;
        }
        return changes;
    }
}

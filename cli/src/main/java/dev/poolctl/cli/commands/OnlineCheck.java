package dev.poolctl.cli.commands;

import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.client.ConnectFailedException;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.PoolerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * config check --online: each [databases] entry's hosts reached as the pooler would reach them. With a user and a
 * plain-text password the pooler would log in with (the entry's password=, or auth_file's) it logs in to the
 * entry's dbname and closes; otherwise it only connects. Each result is printed as it comes (a host that does not
 * answer takes up to the timeout); the problems are warnings of the check.
 */
final class OnlineCheck {
    static final int TIMEOUT_MILLIS = 3_000;

    private OnlineCheck() {}

    static List<ConfigCommand.Finding> run(PoolerConfig config, Userlist userlist, PrintWriter progress) {
        List<ConfigCommand.Finding> problems = new ArrayList<>();
        for (DatabaseConfig db : config.databases().values()) {
            if (db.isFallback()) {
                continue; // the * entry has no host of its own to try
            }
            String password = password(db, userlist);
            for (String host : db.hosts().isEmpty() ? List.of("127.0.0.1") : db.hosts()) {
                String where = db.name() + " " + host + ":" + db.port();
                String result = check(db, host, password);
                progress.println("online: " + where + ": " + result);
                progress.flush();
                if (!result.startsWith("reachable")) {
                    problems.add(new ConfigCommand.Finding(null, "[databases] " + where + ": " + result));
                }
            }
        }
        return problems;
    }

    /** The password=, or auth_file's plain-text secret of the entry's user; null when none is known as text. */
    private static String password(DatabaseConfig db, Userlist userlist) {
        if (db.user() == null) {
            return null;
        }
        Secret s = db.password() != null ? Secret.of(db.password()) : userlist == null ? null
                : userlist.secret(db.user()).orElse(null);
        return s instanceof Secret.Plain p ? p.password() : null;
    }

    private static String check(DatabaseConfig db, String host, String password) {
        if (password != null) {
            AdminClient.Target target = new AdminClient.Target(host, db.port(), db.user());
            try (AdminClient c = AdminClient.connect(target, db.dbname(), u -> password, TIMEOUT_MILLIS)) {
                return "reachable, login as " + db.user() + " to " + db.dbname() + " ok";
            } catch (ConnectFailedException e) {
                return "unreachable: " + e.getMessage();
            } catch (AdminException e) {
                return "refuses the login as " + db.user() + ": " + e.getMessage() + " (SQLSTATE " + e.sqlState() + ")";
            } catch (IOException | RuntimeException e) {
                return "no answer: " + e.getMessage();
            }
        }
        String why = db.user() == null ? "no user= to log in as" : "no plain-text password for " + db.user();
        if (host.startsWith("/")) {
            Path socket = Path.of(host, ".s.PGSQL." + db.port());
            return Files.exists(socket) ? "reachable (socket " + socket + "; " + why + ")"
                    : "unreachable: no socket " + socket;
        }
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, db.port()), TIMEOUT_MILLIS);
            return "reachable (" + why + ": the login is not tried)";
        } catch (IOException e) {
            return "unreachable: " + e.getMessage();
        }
    }
}

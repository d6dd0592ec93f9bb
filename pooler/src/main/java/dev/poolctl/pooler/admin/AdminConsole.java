package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.Version;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import java.util.Locale;
import java.util.Map;

/**
 * The virtual database {@code pgbouncer}: parses a console query with PgBouncer's grammar
 * ({@code WORD [WORD] [;]} and {@code SET key = value}) and answers it (PgBouncer's admin.c).
 */
public final class AdminConsole {
    /** Answers for drivers that probe the server: PgBouncer's fake_param_list. */
    private static final Map<String, String> FAKE_PARAMS = Map.of(
            "client_encoding", "UTF-8",
            "default_transaction_isolation", "read committed",
            "standard_conforming_strings", "on",
            "datestyle", "ISO",
            "timezone", "GMT",
            "extra_float_digits", "2");

    /** What PgBouncer's admin welcome reports; {@code server_version} names us. */
    public static final Map<String, String> WELCOME = new java.util.LinkedHashMap<>();

    static {
        WELCOME.put("server_version", Version.VERSION + "/bouncer");
        WELCOME.put("client_encoding", "UTF8");
        WELCOME.put("server_encoding", "UTF8");
        WELCOME.put("DateStyle", "ISO");
        WELCOME.put("TimeZone", "GMT");
        WELCOME.put("standard_conforming_strings", "on");
        WELCOME.put("is_superuser", "on");
    }

    private final PoolManager manager;
    private final AdminControl control;
    private final ShowCommands show;

    public AdminConsole(PoolManager manager, AdminControl control) {
        this.manager = manager;
        this.control = control;
        this.show = new ShowCommands(manager);
    }

    /** An answer that waits for the pools: sent by {@link #tick} once {@code done} holds. */
    private record Waiter(ConsoleClient client, String tag, java.util.function.BooleanSupplier done) {}

    private final java.util.List<Waiter> waiters = new java.util.ArrayList<>();

    /** Janitor tick: answers the PAUSE / WAIT_CLOSE commands whose condition now holds. */
    public void tick() {
        if (waiters.isEmpty()) {
            return; // the common case, five times a second: no copy
        }
        for (Waiter w : new java.util.ArrayList<>(waiters)) {
            if (!w.client().isOpen()) {
                waiters.remove(w);
            } else if (w.done().getAsBoolean()) {
                waiters.remove(w);
                ByteBuf out = w.client().alloc().buffer(64);
                ResultSetWriter.complete(out, w.tag());
                w.client().send(out);
            }
        }
    }

    /** Answers one simple Query into {@code out} (left empty when the answer is deferred). */
    public void execute(String query, ConsoleClient client, ByteBuf out) {
        boolean admin = client.isAdmin();
        ConsoleCommandParser.Parsed parsed = ConsoleCommandParser.parse(query);
        if (parsed instanceof ConsoleCommandParser.Command c) {
            command(query, unquote(c.verb()).toLowerCase(Locale.ROOT), c.arg() == null ? "" : unquote(c.arg()),
                    client, out);
        } else if (parsed instanceof ConsoleCommandParser.SetCommand set) {
            set(unquote(set.key()), unquote(set.value()), admin, out);
        } else {
            syntaxError(query, out);
        }
    }

    private void command(String query, String verb, String arg, ConsoleClient client, ByteBuf out) {
        boolean admin = client.isAdmin();
        if (CONTROL.contains(verb) && !admin) {
            ResultSetWriter.error(out, "admin access needed");
            return;
        }
        switch (verb) {
            case "show", "select" -> {
                String what = arg.toLowerCase(Locale.ROOT);
                String fake = FAKE_PARAMS.get(what);
                if (fake != null) {
                    new ResultSetWriter(out, java.util.List.of(ResultSetWriter.text(what))).row(fake);
                    ResultSetWriter.complete(out, "SHOW");
                } else if (what.equals("fds") && !admin) {
                    ResultSetWriter.error(out, "admin access needed");
                } else if (!show.show(what, out)) {
                    syntaxError(query, out);
                }
            }
            case "reload" -> {
                if (!arg.isEmpty()) {
                    syntaxError(query, out);
                } else if (!admin) {
                    ResultSetWriter.error(out, "admin access needed");
                } else {
                    manager.log().log("RELOAD command issued");
                    // Answered once the files are read (off the loop) and applied, like PAUSE's waiters.
                    control.reload().whenComplete((ok, e) -> {
                        ByteBuf answer = client.alloc().buffer(128);
                        if (e == null) {
                            ResultSetWriter.complete(answer, "RELOAD");
                        } else {
                            manager.log().error("RELOAD failed: " + e.getMessage());
                            BackendMessages.writeErrorOrNotice(answer, PgProtocol.ERROR_RESPONSE, "ERROR", "F0000",
                                    "RELOAD failed, see logs for additional details: " + e.getMessage());
                            BackendMessages.writeReadyForQuery(answer, PgProtocol.TX_IDLE);
                        }
                        if (client.isOpen()) {
                            client.send(answer);
                        } else {
                            answer.release();
                        }
                    });
                }
            }
            case "shutdown" -> {
                String mode = arg.toUpperCase(Locale.ROOT);
                if (!mode.isEmpty() && !mode.equals("WAIT_FOR_SERVERS") && !mode.equals("WAIT_FOR_CLIENTS")) {
                    syntaxError(query, out);
                } else if (!admin) {
                    ResultSetWriter.error(out, "admin access needed");
                } else {
                    manager.log().log("SHUTDOWN" + (mode.isEmpty() ? "" : " " + mode) + " command issued");
                    control.shutdown(mode.isEmpty() ? null : mode);
                    if (!mode.isEmpty()) {
                        ResultSetWriter.complete(out, "SHUTDOWN");
                    }
                    // Immediate: like PgBouncer, no answer; the connection closes with the process.
                }
            }
            case "pause" -> pause(arg, client, out);
            case "resume" -> resume(arg, out);
            case "suspend" -> {
                if (!arg.isEmpty()) {
                    syntaxError(query, out);
                } else if (manager.pauseMode() != PoolManager.PauseMode.NONE) {
                    ResultSetWriter.error(out, "already suspended/paused");
                } else if (!manager.pausedDatabases().isEmpty()) {
                    ResultSetWriter.error(out, "cannot suspend with paused databases");
                } else {
                    manager.log().log("SUSPEND command issued");
                    manager.suspend();
                    ResultSetWriter.complete(out, "SUSPEND");
                }
            }
            case "kill" -> {
                if (manager.pauseMode() != PoolManager.PauseMode.NONE) {
                    ResultSetWriter.error(out, "already suspended/paused");
                } else if (!arg.isEmpty() && !knownDatabase(arg)) {
                    ResultSetWriter.error(out, "no such database: " + arg);
                } else if (ADMIN_DB.equals(arg)) {
                    ResultSetWriter.error(out, "cannot kill admin db: " + arg);
                } else {
                    manager.log().log(arg.isEmpty() ? "KILL command issued" : "KILL '" + arg + "' command issued");
                    manager.kill(arg.isEmpty() ? null : arg);
                    ResultSetWriter.complete(out, "KILL");
                }
            }
            case "kill_client" -> {
                long id;
                try {
                    id = Long.parseLong(arg);
                } catch (NumberFormatException e) {
                    ResultSetWriter.error(out, "invalid client pointer supplied");
                    return;
                }
                if (manager.killClient(id)) {
                    ResultSetWriter.complete(out, "KILL_CLIENT");
                } else {
                    ResultSetWriter.error(out, "client not found");
                }
            }
            case "reconnect" -> {
                if (!arg.isEmpty() && !knownDatabase(arg)) {
                    ResultSetWriter.error(out, "no such database: " + arg);
                } else if (ADMIN_DB.equals(arg)) {
                    ResultSetWriter.error(out, "cannot reconnect admin db: " + arg);
                } else {
                    manager.log().log(arg.isEmpty() ? "RECONNECT command issued" : "RECONNECT '" + arg + "' command issued");
                    manager.reconnect(arg.isEmpty() ? null : arg);
                    ResultSetWriter.complete(out, "RECONNECT");
                }
            }
            case "disable", "enable" -> {
                if (arg.isEmpty()) {
                    ResultSetWriter.error(out, "a database is required");
                } else if (!knownDatabase(arg)) {
                    ResultSetWriter.error(out, "no such database: " + arg);
                } else if (ADMIN_DB.equals(arg)) {
                    ResultSetWriter.error(out, "cannot " + verb + " admin db: " + arg);
                } else {
                    manager.log().log(verb.toUpperCase(Locale.ROOT) + " '" + arg + "' command issued");
                    if (verb.equals("disable")) {
                        manager.disable(arg);
                    } else {
                        manager.enable(arg);
                    }
                    ResultSetWriter.complete(out, verb.toUpperCase(Locale.ROOT));
                }
            }
            case "wait_close" -> {
                if (!arg.isEmpty() && !knownDatabase(arg)) {
                    ResultSetWriter.error(out, "no such database: " + arg);
                } else {
                    manager.log().log(arg.isEmpty() ? "WAIT_CLOSE command issued" : "WAIT_CLOSE '" + arg + "' command issued");
                    String db = arg.isEmpty() ? null : arg;
                    answerWhen(client, "WAIT_CLOSE", () -> manager.closeNeededGone(db), out);
                }
            }
            default -> syntaxError(query, out);
        }
    }

    private static final String ADMIN_DB = "pgbouncer";
    private static final java.util.Set<String> CONTROL = java.util.Set.of("pause", "resume", "suspend", "kill",
            "kill_client", "reconnect", "disable", "enable", "wait_close");

    private boolean knownDatabase(String name) {
        return ADMIN_DB.equals(name) || manager.config().databases().containsKey(name);
    }

    /** PAUSE [db]: answered once every server of the database(s) is released and closed. */
    private void pause(String arg, ConsoleClient client, ByteBuf out) {
        if (manager.pauseMode() != PoolManager.PauseMode.NONE) {
            ResultSetWriter.error(out, "already suspended/paused");
            return;
        }
        if (!arg.isEmpty() && !knownDatabase(arg)) {
            ResultSetWriter.error(out, "no such database: " + arg);
            return;
        }
        if (ADMIN_DB.equals(arg)) {
            ResultSetWriter.error(out, "cannot pause admin db: " + arg);
            return;
        }
        manager.log().log(arg.isEmpty() ? "PAUSE command issued" : "PAUSE '" + arg + "' command issued");
        String db = arg.isEmpty() ? null : arg;
        manager.pause(db);
        answerWhen(client, "PAUSE", () -> manager.quiesced(db), out);
    }

    private void resume(String arg, ByteBuf out) {
        if (arg.isEmpty()) {
            manager.log().log("RESUME command issued");
            if (manager.isShuttingDown()) {
                ResultSetWriter.error(out, "pooler is shutting down");
                return;
            }
            if (manager.pauseMode() == PoolManager.PauseMode.NONE && manager.pausedDatabases().isEmpty()) {
                ResultSetWriter.error(out, "pooler is not paused/suspended");
                return;
            }
            manager.resume(null);
            for (String db : java.util.List.copyOf(manager.pausedDatabases())) {
                manager.resume(db); // KILL without a database paused them all
            }
        } else {
            manager.log().log("RESUME '" + loggable(arg) + "' command issued");
            if (!knownDatabase(arg)) {
                ResultSetWriter.error(out, "no such database: " + arg);
                return;
            }
            if (!manager.pausedDatabases().contains(arg)) {
                ResultSetWriter.error(out, "database " + arg + " is not paused");
                return;
            }
            manager.resume(arg);
        }
        ResultSetWriter.complete(out, "RESUME");
    }

    private void answerWhen(ConsoleClient client, String tag, java.util.function.BooleanSupplier done, ByteBuf out) {
        if (done.getAsBoolean()) {
            ResultSetWriter.complete(out, tag);
        } else {
            waiters.add(new Waiter(client, tag, done));
        }
    }

    private void set(String key, String value, boolean admin, ByteBuf out) {
        if (FAKE_PARAMS.containsKey(key.toLowerCase(Locale.ROOT))) {
            BackendMessages.writeErrorOrNotice(out, PgProtocol.NOTICE_RESPONSE, "NOTICE", "00000", "SET ignored");
            ResultSetWriter.complete(out, "SET");
        } else if (!admin) {
            ResultSetWriter.error(out, "admin access needed");
        } else {
            var setting = dev.poolctl.pooler.config.Setting.fromKey(key);
            if (setting.isEmpty()) {
                ResultSetWriter.error(out, "SET failed");
                return;
            }
            var config = manager.config();
            dev.poolctl.pooler.config.GeneralSettings general;
            try {
                // The same checks as a config load: the value's syntax, then what this version can run with.
                general = config.general().with(setting.get(), value);
                dev.poolctl.pooler.config.SupportedSettings.check(general);
            } catch (IllegalArgumentException e) {
                manager.log().warning("SET " + key + " refused: " + loggable(e.getMessage()));
                ResultSetWriter.error(out, "SET failed");
                return;
            }
            if (!dev.poolctl.pooler.config.SupportedSettings.isApplied(setting.get(), general.raw(setting.get()))) {
                String why = key + " is read but not applied by this version of poolctl";
                manager.log().warning("SET " + why);
                BackendMessages.writeErrorOrNotice(out, PgProtocol.NOTICE_RESPONSE, "WARNING", "01000", why);
            }
            // PgBouncer answers SET for changeable=no keys too and leaves them alone until a restart.
            if (setting.get().reloadable()) {
                manager.apply(new dev.poolctl.pooler.config.PoolerConfig(config.file(), general, config.databases(),
                        config.users()), manager.userlist());
            }
            ResultSetWriter.complete(out, "SET " + key + "=" + value);
        }
    }

    private static void syntaxError(String query, ByteBuf out) {
        ResultSetWriter.error(out, "invalid command '" + query + "', use SHOW HELP;");
    }

    private static String unquote(String word) {
        return ConsoleCommandParser.unquote(word);
    }

    /** A console user's text in one bounded log line: control characters (a forged line) become '?'. */
    private static String loggable(String text) {
        String shown = text.length() > 200 ? text.substring(0, 200) + "..." : text;
        return shown.replaceAll("\\p{Cntrl}", "?");
    }
}

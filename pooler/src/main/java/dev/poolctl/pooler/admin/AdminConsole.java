package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.Version;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.ParameterStatusSet;
import dev.poolctl.pooler.protocol.PgProtocol;
import dev.poolctl.pooler.pool.GlobalState;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;

/**
 * The virtual database {@code pgbouncer}: parses a console query with PgBouncer's grammar
 * ({@code WORD [WORD] [;]} and {@code SET key = value}) and answers it (PgBouncer's admin.c). One per event loop,
 * serving the console clients of that loop: SHOW gathers every loop's rows and control commands are applied on
 * every loop ({@link EveryLoop}) before the answer is sent.
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
    public static final ParameterStatusSet WELCOME = welcome();

    private static ParameterStatusSet welcome() {
        Map<String, String> w = new java.util.LinkedHashMap<>();
        w.put("server_version", Version.VERSION + "/bouncer");
        w.put("client_encoding", "UTF8");
        w.put("server_encoding", "UTF8");
        w.put("DateStyle", "ISO");
        w.put("TimeZone", "GMT");
        w.put("standard_conforming_strings", "on");
        w.put("is_superuser", "on");
        return new ParameterStatusSet(w);
    }

    private final PoolManager manager;
    private final GlobalState global;
    private final AdminControl control;
    private final ShowCommands show;
    private final ConsoleWaiters waiters;

    /** {@code manager}: the loop this console serves; the others are reached through its {@link GlobalState}. */
    public AdminConsole(PoolManager manager, AdminControl control) {
        this.manager = manager;
        this.global = manager.global();
        this.control = control;
        this.show = new ShowCommands(manager);
        this.waiters = new ConsoleWaiters(manager);
    }

    /** Janitor tick: answers the PAUSE / WAIT_CLOSE commands whose condition now holds. */
    public void tick() {
        waiters.tick();
    }

    /**
     * Writes the answer into {@code out} when {@code result} is complete already (one loop); otherwise sends it on
     * the client's loop once it is, and {@code out} stays empty (a deferred answer).
     */
    private <T> void answer(CompletableFuture<T> result, ConsoleClient client, ByteBuf out, BiConsumer<T, ByteBuf> write) {
        if (result.isDone()) {
            answerNow(result, out, write);
            return;
        }
        result.whenComplete((ok, e) -> client.execute(() -> {
            if (!client.isOpen()) {
                return;
            }
            ByteBuf later = client.alloc().buffer(1024);
            answerNow(result, later, write);
            client.send(later);
        }));
    }

    private static <T> void answerNow(CompletableFuture<T> result, ByteBuf out, BiConsumer<T, ByteBuf> write) {
        T value;
        try {
            value = result.join();
        } catch (java.util.concurrent.CompletionException e) {
            ResultSetWriter.error(out, e.getCause() == null ? e.getMessage() : e.getCause().getMessage());
            return;
        }
        write.accept(value, out);
    }

    /** A control command applied on every loop, answered with {@code tag} once all have. */
    private void everywhere(java.util.function.Consumer<PoolManager> step, String tag, ConsoleClient client, ByteBuf out) {
        answer(EveryLoop.apply(global, step), client, out, (done, buf) -> ResultSetWriter.complete(buf, tag));
    }

    /** A console connection's first query: counted as PgBouncer counts its admin pool's (SHOW STATS, TOTALS). */
    public void firstQuery() {
        manager.stats().console().xactCount++;
        manager.stats().console().queryCount++;
    }

    /** Answers one simple Query into {@code out} (left empty when the answer is deferred). */
    public void execute(String query, ConsoleClient client, ByteBuf out) {
        boolean admin = client.isAdmin();
        ConsoleCommandParser.Parsed parsed = ConsoleCommandParser.parse(query);
        if (parsed instanceof ConsoleCommandParser.Command c) {
            command(query, unquote(c.verb()).toLowerCase(Locale.ROOT), c.arg() == null ? "" : unquote(c.arg()),
                    client, out);
        } else if (parsed instanceof ConsoleCommandParser.SetCommand set) {
            set(unquote(set.key()), unquote(set.value()), client, out);
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
                } else if (ShowCommands.merge(what) != null) {
                    Table.Merge merge = ShowCommands.merge(what);
                    answer(EveryLoop.ask(global, m -> new ShowCommands(m).rows(what)), client, out,
                            (parts, buf) -> Table.merge(parts, merge).writeTo(buf));
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
                        client.execute(() -> {
                            if (client.isOpen()) {
                                client.send(answer);
                            } else {
                                answer.release();
                            }
                        });
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
                    CompletableFuture<Void> closed = control.shutdown(mode.isEmpty() ? null : mode);
                    if (!mode.isEmpty()) {
                        // this console's next command sees it, whatever the loops do
                        manager.stopping().begin(mode.equals("WAIT_FOR_SERVERS"));
                        answer(closed, client, out, (v, buf) -> ResultSetWriter.complete(buf, "SHUTDOWN"));
                    }
                    // Immediate: like PgBouncer, no answer; the connection closes with the process.
                }
            }
            case "drain" -> drain(arg, client, out);
            case "pause" -> pause(arg, client, out);
            case "resume" -> resume(arg, client, out);
            case "suspend" -> {
                if (!arg.isEmpty()) {
                    syntaxError(query, out);
                } else if (manager.pauseMode() != PoolManager.PauseMode.NONE) {
                    ResultSetWriter.error(out, "already suspended/paused");
                } else if (!manager.pausedDatabases().isEmpty()) {
                    ResultSetWriter.error(out, "cannot suspend with paused databases");
                } else {
                    manager.log().log("SUSPEND command issued");
                    // PgBouncer answers once every buffer is flushed (or suspend_timeout closed what was not)
                    answerWhenApplied(EveryLoop.apply(global, PoolManager::suspend), "SUSPEND",
                            () -> EveryLoop.all(global, PoolManager::suspended), client, out);
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
                    String db = arg.isEmpty() ? null : arg;
                    everywhere(m -> m.kill(db), "KILL", client, out);
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
                answer(EveryLoop.ask(global, m -> m.killClient(id)), client, out, (found, buf) -> {
                    if (found.contains(Boolean.TRUE)) {
                        ResultSetWriter.complete(buf, "KILL_CLIENT");
                    } else {
                        ResultSetWriter.error(buf, "client not found");
                    }
                });
            }
            case "reconnect" -> {
                if (!arg.isEmpty() && !knownDatabase(arg)) {
                    ResultSetWriter.error(out, "no such database: " + arg);
                } else if (ADMIN_DB.equals(arg)) {
                    ResultSetWriter.error(out, "cannot reconnect admin db: " + arg);
                } else {
                    manager.log().log(arg.isEmpty() ? "RECONNECT command issued" : "RECONNECT '" + arg + "' command issued");
                    String db = arg.isEmpty() ? null : arg;
                    everywhere(m -> m.reconnect(db), "RECONNECT", client, out);
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
                    boolean disable = verb.equals("disable");
                    everywhere(m -> {
                        if (disable) {
                            m.disable(arg);
                        } else {
                            m.enable(arg);
                        }
                    }, verb.toUpperCase(Locale.ROOT), client, out);
                }
            }
            case "wait_close" -> {
                if (!arg.isEmpty() && !knownDatabase(arg)) {
                    ResultSetWriter.error(out, "no such database: " + arg);
                } else {
                    manager.log().log(arg.isEmpty() ? "WAIT_CLOSE command issued" : "WAIT_CLOSE '" + arg + "' command issued");
                    String db = arg.isEmpty() ? null : arg;
                    waiters.answerWhen(client, "WAIT_CLOSE", () -> EveryLoop.all(global, m -> m.closeNeededGone(db)), out);
                }
            }
            default -> syntaxError(query, out);
        }
    }

    private static final String ADMIN_DB = "pgbouncer";
    private static final java.util.Set<String> CONTROL = java.util.Set.of("pause", "resume", "suspend", "kill",
            "kill_client", "reconnect", "disable", "enable", "wait_close", "drain");

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
        answerWhenApplied(EveryLoop.apply(global, m -> m.pause(db)), "PAUSE",
                () -> EveryLoop.all(global, m -> m.quiesced(db)), client, out);
    }

    /** Answers {@code tag} once {@code applied} is done on every loop and then {@code condition} holds on every loop. */
    private void answerWhenApplied(CompletableFuture<List<Object>> applied, String tag,
            java.util.function.Supplier<CompletableFuture<Boolean>> condition, ConsoleClient client, ByteBuf out) {
        if (applied.isDone()) {
            waiters.answerWhen(client, tag, condition, out);
        } else {
            // client.execute always queues: the answer cannot overtake this query's own return
            applied.whenComplete((ok, e) -> client.execute(() -> waiters.answerWhen(client, tag, condition, null)));
        }
    }

    /**
     * DRAIN [seconds] (poolctl's own): stop listening on TCP, close each client at its next transaction boundary,
     * exit when none is left or at the deadline ({@code drain_timeout} when not given; 0: none).
     */
    private void drain(String arg, ConsoleClient client, ByteBuf out) {
        java.time.Duration deadline =
                manager.config().general().durationValue(dev.poolctl.pooler.config.Setting.DRAIN_TIMEOUT);
        if (!arg.isEmpty()) {
            if (!arg.matches("[0-9]{1,7}")) {
                ResultSetWriter.error(out, "DRAIN takes a deadline in whole seconds (0: none), not '" + arg + "'");
                return;
            }
            deadline = java.time.Duration.ofSeconds(Long.parseLong(arg));
        }
        manager.log().log("DRAIN command issued" + (deadline.isZero() ? "" : ", deadline " + deadline.toSeconds() + "s"));
        // answered once TCP no longer accepts: a script that then checks its load balancer sees the instance out
        answer(control.drain(deadline), client, out, (v, buf) -> ResultSetWriter.complete(buf, "DRAIN"));
    }

    private void resume(String arg, ConsoleClient client, ByteBuf out) {
        if (arg.isEmpty()) {
            manager.log().log("RESUME command issued");
            if (manager.stopping().isStopping() || manager.isShuttingDown()) {
                ResultSetWriter.error(out, "pooler is shutting down");
                return;
            }
            if (manager.pauseMode() == PoolManager.PauseMode.NONE && manager.pausedDatabases().isEmpty()) {
                ResultSetWriter.error(out, "pooler is not paused/suspended");
                return;
            }
            everywhere(m -> {
                m.resume(null);
                for (String db : List.copyOf(m.pausedDatabases())) {
                    m.resume(db); // KILL without a database paused them all
                }
            }, "RESUME", client, out);
            return;
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
            everywhere(m -> m.resume(arg), "RESUME", client, out);
        }
    }

    private void set(String key, String value, ConsoleClient client, ByteBuf out) {
        boolean admin = client.isAdmin();
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
                TlsSet.check(config.general(), general, key);
            } catch (IllegalArgumentException e) {
                manager.log().warning("SET " + key + " refused: " + loggable(e.getMessage()));
                ResultSetWriter.error(out, "SET failed");
                return;
            }
            if (!dev.poolctl.pooler.config.SupportedSettings.isApplied(setting.get(), general.raw(setting.get()))) {
                String why = key + " " + dev.poolctl.pooler.config.SupportedSettings.explain(setting.get());
                manager.log().warning("SET " + why);
                BackendMessages.writeErrorOrNotice(out, PgProtocol.NOTICE_RESPONSE, "WARNING", "01000", why);
            }
            // PgBouncer answers SET for changeable=no keys too and leaves them alone until a restart.
            String tag = "SET " + key + "=" + value;
            if (setting.get().reloadable()) {
                var next = config.withGeneral(general);
                if (TlsSet.isTlsKey(setting.get().key())) {
                    // The contexts are built from the files off the loops (slow, blocking); the value is stored
                    // either way, and a set that cannot be used yet keeps the running contexts (TlsSet).
                    answer(control.rebuildTls(next).toCompletableFuture().thenCompose(inForce -> EveryLoop.apply(
                            global, m -> m.apply(next, m.userlist())).thenApply(done -> inForce)),
                            client, out, (inForce, buf) -> {
                                if (!inForce) {
                                    BackendMessages.writeErrorOrNotice(buf, PgProtocol.NOTICE_RESPONSE, "NOTICE",
                                            "01000", TlsSet.NOT_APPLIED);
                                }
                                ResultSetWriter.complete(buf, tag);
                            });
                } else {
                    everywhere(m -> m.apply(next, m.userlist()), tag, client, out);
                }
            } else {
                ResultSetWriter.complete(out, tag);
            }
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

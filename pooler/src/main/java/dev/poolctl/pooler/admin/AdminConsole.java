package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.Version;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.protocol.BackendMessages;
import dev.poolctl.pooler.protocol.PgProtocol;
import io.netty.buffer.ByteBuf;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The virtual database {@code pgbouncer}: parses a console query with PgBouncer's grammar
 * ({@code WORD [WORD] [;]} and {@code SET key = value}) and answers it (PgBouncer's admin.c).
 */
public final class AdminConsole {
    private static final String WS0 = "[ \\t\\n\\r]*";
    private static final String WS1 = "[ \\t\\n\\r]+";
    private static final String WORD = "(\"(?:[^\"]+|\"\")*\"|[0-9a-z_]+)";
    private static final String STRING = "('(?:[^']|'')*')";
    private static final Pattern COMMAND =
            Pattern.compile("^" + WS0 + WORD + "(?:" + WS1 + WORD + ")?" + WS0 + "(?:;" + WS0 + ")?$", Pattern.CASE_INSENSITIVE);
    private static final Pattern SET = Pattern.compile(
            "^" + WS0 + "set" + WS1 + WORD + WS0 + "(?:=|to)" + WS0 + "(" + WORD + "|" + STRING + ")" + WS0 + "(?:;" + WS0 + ")?$",
            Pattern.CASE_INSENSITIVE);

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

    /** Answers one simple Query into {@code out}; {@code admin} is false for stats_users (SHOW only). */
    public void execute(String query, boolean admin, ByteBuf out) {
        Matcher m = COMMAND.matcher(query);
        if (m.matches()) {
            String verb = unquote(m.group(1)).toLowerCase(Locale.ROOT);
            String arg = m.group(2) == null ? "" : unquote(m.group(2));
            command(query, verb, arg, admin, out);
            return;
        }
        Matcher set = SET.matcher(query);
        if (set.matches()) {
            set(unquote(set.group(1)), unquoteValue(set.group(2)), admin, out);
            return;
        }
        syntaxError(query, out);
    }

    private void command(String query, String verb, String arg, boolean admin, ByteBuf out) {
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
                    try {
                        control.reload();
                        ResultSetWriter.complete(out, "RELOAD");
                    } catch (Exception e) {
                        manager.log().error("RELOAD failed: " + e.getMessage());
                        BackendMessages.writeErrorOrNotice(out, PgProtocol.ERROR_RESPONSE, "ERROR", "F0000",
                                "RELOAD failed, see logs for additional details: " + e.getMessage());
                        BackendMessages.writeReadyForQuery(out, PgProtocol.TX_IDLE);
                    }
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
            case "pause", "resume", "suspend", "kill", "kill_client", "reconnect", "disable", "enable", "wait_close" ->
                    ResultSetWriter.error(out, verb.toUpperCase(Locale.ROOT) + " is not implemented in this version of poolctl yet");
            default -> syntaxError(query, out);
        }
    }

    private void set(String key, String value, boolean admin, ByteBuf out) {
        if (FAKE_PARAMS.containsKey(key.toLowerCase(Locale.ROOT))) {
            BackendMessages.writeErrorOrNotice(out, PgProtocol.NOTICE_RESPONSE, "NOTICE", "00000", "SET ignored");
            ResultSetWriter.complete(out, "SET");
        } else if (!admin) {
            ResultSetWriter.error(out, "admin access needed");
        } else {
            ResultSetWriter.error(out, "SET of pooler settings is not implemented in this version of poolctl yet");
        }
    }

    private static void syntaxError(String query, ByteBuf out) {
        ResultSetWriter.error(out, "invalid command '" + query + "', use SHOW HELP;");
    }

    private static String unquote(String word) {
        if (word.length() >= 2 && word.startsWith("\"") && word.endsWith("\"")) {
            return word.substring(1, word.length() - 1).replace("\"\"", "\"");
        }
        return word;
    }

    private static String unquoteValue(String value) {
        if (value.length() >= 2 && value.startsWith("'") && value.endsWith("'")) {
            return value.substring(1, value.length() - 1).replace("''", "'");
        }
        return unquote(value);
    }
}

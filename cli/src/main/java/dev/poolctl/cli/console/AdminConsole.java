package dev.poolctl.cli.console;

import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import dev.poolctl.cli.output.ResultFormatter;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;

/**
 * The read-query-print loop of {@code poolctl console}: every line is one console command, its result printed as
 * a table (a command without rows prints its tag), notices and errors on stderr. An ErrorResponse does not end
 * the session; a lost connection does (the IOException goes to the caller).
 */
public final class AdminConsole {
    public static final String PROMPT = "pgbouncer=# ";

    private final AdminClient client;
    private final PrintWriter out;
    private final PrintWriter err;

    public AdminConsole(AdminClient client, PrintWriter out, PrintWriter err) {
        this.client = client;
        this.out = out;
        this.err = err;
    }

    /** {@code \q}, {@code quit} or {@code exit} (with or without a ';'). */
    public static boolean isQuit(String line) {
        String s = line.strip();
        if (s.endsWith(";")) {
            s = s.substring(0, s.length() - 1).strip();
        }
        s = s.toLowerCase(Locale.ROOT);
        return s.equals("\\q") || s.equals("quit") || s.equals("exit");
    }

    /**
     * Runs one line; returns false when the pooler answered with an error. Blank lines do nothing.
     *
     * @throws IOException the connection is lost or timed out
     */
    public boolean execute(String line) throws IOException {
        if (line.isBlank()) {
            return true;
        }
        try {
            AdminClient.Result r = client.query(line.strip());
            if (!r.columns().isEmpty()) {
                out.print(ResultFormatter.table(r));
            } else if (!r.commandTag().isEmpty()) {
                out.println(r.commandTag());
            }
            out.flush();
            for (String n : r.notices()) {
                err.println("NOTICE:  " + n);
            }
            return true;
        } catch (AdminException e) {
            out.flush();
            err.println("ERROR: " + e.getMessage());
            return false;
        } finally {
            err.flush();
        }
    }

    /**
     * Reads commands from a script or pipe until EOF or a quit line, without prompts.
     *
     * @return true when every command succeeded
     */
    public boolean runScript(BufferedReader in) throws IOException {
        boolean allOk = true;
        String line;
        while ((line = in.readLine()) != null) {
            if (isQuit(line)) {
                break;
            }
            allOk &= execute(line);
        }
        return allOk;
    }

    /**
     * The interactive loop on a terminal: line editing, completion, history in {@code history}. Ctrl-C drops the
     * line being typed; Ctrl-D, {@code \q}, {@code quit} or {@code exit} leave.
     */
    public void runInteractive(Terminal terminal, Path history, List<String> databases) throws IOException {
        // No escape characters: "\q" must reach us as typed.
        DefaultParser parser = new DefaultParser();
        parser.setEscapeChars(new char[0]);
        LineReader reader = LineReaderBuilder.builder()
                .terminal(terminal)
                .appName("poolctl")
                .parser(parser)
                .completer(new AdminCompleter(databases))
                .variable(LineReader.HISTORY_FILE, history)
                .option(LineReader.Option.CASE_INSENSITIVE, true)
                .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
                .option(LineReader.Option.HISTORY_IGNORE_SPACE, true)
                .build();
        try {
            while (true) {
                String line;
                try {
                    line = reader.readLine(PROMPT);
                } catch (UserInterruptException e) {
                    continue; // Ctrl-C: drop the line
                } catch (EndOfFileException e) {
                    break; // Ctrl-D
                }
                if (isQuit(line)) {
                    break;
                }
                execute(line);
            }
        } finally {
            reader.getHistory().save();
        }
    }

    /** The database names for completion, from SHOW DATABASES; none when the user may not list them. */
    public static List<String> databases(AdminClient client) throws IOException {
        List<String> names = new ArrayList<>();
        try {
            AdminClient.Result r = client.query("SHOW DATABASES");
            int col = r.columns().indexOf("name");
            if (col >= 0) {
                for (List<String> row : r.rows()) {
                    if (col < row.size() && row.get(col) != null) {
                        names.add(row.get(col));
                    }
                }
            }
        } catch (AdminException e) {
            // completion without database names
        }
        return names;
    }
}

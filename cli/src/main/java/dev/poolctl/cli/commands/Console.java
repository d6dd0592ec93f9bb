package dev.poolctl.cli.commands;

import dev.poolctl.cli.ExitCodes;
import dev.poolctl.cli.Poolctl;
import dev.poolctl.client.AdminClient;
import dev.poolctl.cli.console.AdminConsole;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code poolctl console}: an interactive admin console like {@code psql -d pgbouncer}, with line editing, history
 * and completion. With stdin from a pipe or file it runs the lines without prompts, so it can be scripted.
 */
@Command(name = "console")
public final class Console extends AdminCommand {
    @Option(names = "--history", paramLabel = "FILE")
    Path history;

    /** Interactive: a command such as PAUSE or WAIT_CLOSE answers when done, so wait as psql does; Ctrl-C ends. */
    @Override
    protected int defaultTimeoutSeconds() {
        return 0;
    }

    @Override
    protected int run(AdminClient client) throws IOException {
        Object root = spec.root().userObject();
        InputStream in = root instanceof Poolctl p ? p.stdin() : System.in;
        AdminConsole console = new AdminConsole(client, out(), err());
        if (in == System.in && System.console() != null) {
            Terminal terminal = TerminalBuilder.builder().system(true).dumb(true).build();
            try (terminal) {
                String type = terminal.getType();
                if (!Terminal.TYPE_DUMB.equals(type) && !Terminal.TYPE_DUMB_COLOR.equals(type)) {
                    console.runInteractive(terminal, historyFile(), AdminConsole.databases(client));
                    return ExitCodes.OK;
                }
            }
        }
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        return console.runScript(reader) ? ExitCodes.OK : ExitCodes.REFUSED;
    }

    Path historyFile() {
        return history != null ? history : Path.of(System.getProperty("user.home"), ".poolctl_history");
    }
}

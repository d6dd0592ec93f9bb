package dev.poolctl.tui.support;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import dev.poolctl.tui.input.KeyBindings;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.view.ScreenRenderer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.ZoneOffset;

/** Renders a model into Lanterna's {@link DefaultVirtualTerminal} and reads the screen back as text. */
public final class Screens {
    private Screens() {}

    /** The screen as lines joined by '\n', trailing blanks cut. */
    public static String render(DashboardModel model, int columns, int rows, boolean readonly) {
        DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(columns, rows));
        try {
            TerminalScreen screen = new TerminalScreen(terminal);
            screen.startScreen();
            new ScreenRenderer(KeyBindings.defaults(readonly), ZoneOffset.UTC)
                    .draw(screen.newTextGraphics(), screen.getTerminalSize(), model);
            screen.refresh();
            return text(terminal);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static String text(DefaultVirtualTerminal terminal) {
        TerminalSize size = terminal.getTerminalSize();
        StringBuilder sb = new StringBuilder();
        for (int r = 0; r < size.getRows(); r++) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < size.getColumns(); c++) {
                line.append(terminal.getCharacter(c, r).getCharacterString());
            }
            sb.append(line.toString().stripTrailing()).append('\n');
        }
        return sb.toString();
    }

    /** The screen line that contains {@code needle}, or fails. */
    public static String line(String screen, String needle) {
        for (String l : screen.split("\n")) {
            if (l.contains(needle)) {
                return l;
            }
        }
        throw new AssertionError("no line with '" + needle + "' on screen:\n" + screen);
    }
}

package dev.poolctl.tui.view;

import com.googlecode.lanterna.SGR;
import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import java.util.List;

/** Draws rows under a header in a band of the screen, keeping the selected row in sight. */
public final class TableRenderer {
    private TableRenderer() {}

    /**
     * @param top first screen row (the header)
     * @param height rows available, header included
     * @param selected index into {@code rows} drawn in reverse video, or -1
     * @param sortKey the sorted column's key, drawn underlined
     */
    public static <T> void draw(TextGraphics g, int top, int height, int width, List<Column<T>> all, List<T> rows,
            int selected, String sortKey, String empty) {
        List<Column<T>> columns = Column.fit(all, width);
        int x = 0;
        g.enableModifiers(SGR.BOLD);
        for (Column<T> c : columns) {
            if (c.key().equals(sortKey)) {
                g.enableModifiers(SGR.UNDERLINE);
            }
            g.putString(x, top, Format.fit(c.header(), Math.min(c.width(), width - x), c.right()));
            g.disableModifiers(SGR.UNDERLINE);
            x += c.width() + 1;
        }
        g.disableModifiers(SGR.BOLD);
        int visible = height - 1;
        if (rows.isEmpty()) {
            g.putString(0, top + 1, Format.fit(empty, width, false));
            return;
        }
        int first = selected >= visible ? selected - visible + 1 : 0;
        for (int i = 0; i < visible && first + i < rows.size(); i++) {
            T row = rows.get(first + i);
            boolean sel = first + i == selected;
            if (sel) {
                g.enableModifiers(SGR.REVERSE);
                g.putString(0, top + 1 + i, " ".repeat(width));
            }
            x = 0;
            for (Column<T> c : columns) {
                TextColor fg = c.colour() == null ? null : c.colour().apply(row);
                if (fg != null) {
                    g.setForegroundColor(fg);
                }
                g.putString(x, top + 1 + i, Format.fit(c.text().apply(row), Math.min(c.width(), width - x),
                        c.right()));
                g.setForegroundColor(TextColor.ANSI.DEFAULT);
                x += c.width() + 1;
            }
            g.disableModifiers(SGR.REVERSE);
        }
    }
}

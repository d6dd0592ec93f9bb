package dev.poolctl.tui.view;

import com.googlecode.lanterna.graphics.TextGraphics;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.model.ViewState;
import dev.poolctl.tui.source.Row;
import dev.poolctl.tui.source.Table;
import java.util.ArrayList;
import java.util.List;

/**
 * Clients, Servers, Databases and Config: the SHOW's own columns, the view's preferred ones that the target has, in
 * preference order; each as wide as its widest value (capped), so nothing is hard-coded to one PgBouncer version.
 */
public final class ConsoleTableView {
    private static final int MAX_WIDTH = 30;

    private ConsoleTableView() {}

    public static List<Column<Row>> columns(View view, Table table, List<Row> rows) {
        List<Column<Row>> out = new ArrayList<>();
        int priority = 0;
        for (String key : view.preferredColumns()) {
            if (!table.has(key)) {
                continue;
            }
            int w = key.length();
            for (Row r : rows) {
                w = Math.max(w, r.text(key, "").length());
            }
            w = Math.min(w, MAX_WIDTH);
            boolean numeric = !rows.isEmpty() && rows.stream().allMatch(r -> r.text(key, "").matches("-?\\d+"));
            out.add(new Column<>(key, key, w, numeric, priority++, r -> r.text(key, ""), null));
        }
        return out;
    }

    public static void draw(TextGraphics g, DashboardModel m, View view, int top, int height, int width) {
        ViewState st = m.state(view);
        List<Row> rows = m.visibleRows(view);
        TableRenderer.draw(g, top, height, width, columns(view, m.table(view), rows), rows, st.selected(),
                st.sortKey(), m.current() == null ? Strings.WAITING_FOR_DATA : Strings.NO_ROWS);
    }
}

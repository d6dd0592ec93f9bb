package dev.poolctl.tui.view;

import com.googlecode.lanterna.graphics.TextGraphics;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.DatabaseRates;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.model.ViewState;
import java.util.List;

/** Per database over the last interval: rates and average times, from two SHOW STATS answers. */
public final class StatsView {
    private StatsView() {}

    public static List<Column<DatabaseRates>> columns() {
        return List.of(
                Column.left("database", "database", 14, 0, DatabaseRates::database),
                Column.right("tps", "tps", 7, 0, r -> Format.rate(r.tps())),
                Column.right("qps", "qps", 7, 0, r -> Format.rate(r.qps())),
                Column.right("recv/s", "recv/s", 10, 2, r -> Format.bytesPerSecond(r.receivedPerSecond())),
                Column.right("sent/s", "sent/s", 10, 2, r -> Format.bytesPerSecond(r.sentPerSecond())),
                Column.right("xact_us", "avg xact", 8, 1, r -> Format.micros(r.avgXactMicros())),
                Column.right("query_us", "avg query", 9, 1, r -> Format.micros(r.avgQueryMicros())),
                Column.right("wait_us", "avg wait", 8, 1, r -> Format.micros(r.avgWaitMicros())),
                Column.right("xacts", "xacts", 9, 3, r -> Long.toString(r.totalXacts())),
                Column.right("queries", "queries", 9, 3, r -> Long.toString(r.totalQueries())),
                Column.left("reset", "", 8, 4, r -> r.reset() ? Strings.COUNTERS_RESET : ""));
    }

    public static void draw(TextGraphics g, DashboardModel m, int top, int height, int width) {
        ViewState st = m.state(View.STATS);
        TableRenderer.draw(g, top, height, width, columns(), m.visibleStats(), st.selected(), st.sortKey(),
                m.current() == null ? Strings.WAITING_FOR_DATA : Strings.NO_ROWS);
    }
}

package dev.poolctl.tui.view;

import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.FleetState;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.model.ViewState;
import java.util.ArrayList;
import java.util.List;

/** One row per instance of a fleet: up or down (with why), version, clients, waiting, servers, tps. */
public final class FleetView {
    private FleetView() {}

    public static List<Column<FleetState.InstanceRow>> columns(DashboardModel m) {
        String focus = m.fleet().focus();
        List<Column<FleetState.InstanceRow>> c = new ArrayList<>();
        c.add(Column.left("instance", "instance", 20, 0, r -> (r.instance().equals(focus) ? "> " : "") + r.instance()));
        c.add(Column.<FleetState.InstanceRow>left("state", "up", 5, 0, FleetState.InstanceRow::state)
                .coloured(r -> !r.up() ? TextColor.ANSI.RED_BRIGHT : r.draining() ? TextColor.ANSI.YELLOW_BRIGHT
                        : TextColor.ANSI.GREEN_BRIGHT));
        c.add(Column.right("clients", "clients", 7, 1, r -> r.up() ? Long.toString(r.clients()) : ""));
        c.add(Column.<FleetState.InstanceRow>right("waiting", "waiting", 7, 1,
                r -> r.up() ? Long.toString(r.waiting()) : "")
                .coloured(r -> r.waiting() > 0 ? TextColor.ANSI.YELLOW_BRIGHT : null));
        c.add(Column.right("servers", "servers", 7, 2, r -> r.up() ? Long.toString(r.servers()) : ""));
        c.add(Column.right("tps", "tps", 6, 2, r -> r.up() ? Format.rate(r.tps()) : ""));
        c.add(Column.left("version", "version / error", 22, 1, r -> r.up() ? r.version() : r.error()));
        return c;
    }

    public static void draw(TextGraphics g, DashboardModel m, int top, int height, int width) {
        ViewState st = m.state(View.FLEET);
        TableRenderer.draw(g, top, height, width, columns(m), m.visibleFleet(), st.selected(), st.sortKey(),
                m.current() == null ? Strings.WAITING_FOR_DATA : Strings.NO_ROWS);
    }
}

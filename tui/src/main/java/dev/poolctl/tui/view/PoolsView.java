package dev.poolctl.tui.view;

import com.googlecode.lanterna.TextColor;
import com.googlecode.lanterna.graphics.TextGraphics;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.History;
import dev.poolctl.tui.model.PoolRow;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.model.ViewState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** SHOW POOLS with pool size, a saturation bar, tps and sparklines; trouble in colour. */
public final class PoolsView {
    static final int BAR = 7;
    static final int SPARK = 20;
    /** What the sparklines cover: the last minutes, as an operator asks "since when is it waiting". */
    static final Duration HISTORY_WINDOW = Duration.ofMinutes(5);

    private PoolsView() {}

    public static List<Column<PoolRow>> columns(DashboardModel m) {
        History h = m.history();
        double maxwaitWarn = m.alerts().rules().maxwaitWarn().toMillis() / 1000.0;
        double saturationWarn = m.alerts().rules().saturation();
        List<Column<PoolRow>> c = new ArrayList<>();
        c.add(Column.left("database", "database", 12, 0, PoolRow::database));
        c.add(Column.left("user", "user", 10, 1, PoolRow::user));
        c.add(Column.left("pool_mode", "mode", 4, 5, p -> mode(p.poolMode())));
        c.add(Column.right("cl_active", "cl_act", 6, 2, p -> Long.toString(p.clActive())));
        c.add(Column.<PoolRow>right("cl_waiting", "cl_wait", 7, 0, p -> Long.toString(p.clWaiting()))
                .coloured(p -> p.clWaiting() > 0 ? TextColor.ANSI.YELLOW_BRIGHT : null));
        c.add(Column.right("sv_active", "sv_act", 6, 1, p -> Long.toString(p.svActive())));
        c.add(Column.right("sv_idle", "sv_idle", 7, 3, p -> Long.toString(p.svIdle())));
        c.add(Column.right("sv_used", "sv_used", 7, 6, p -> Long.toString(p.svUsed())));
        c.add(Column.right("sv_tested", "sv_test", 7, 10, p -> Long.toString(p.svTested())));
        c.add(Column.right("sv_login", "sv_login", 8, 6, p -> Long.toString(p.svLogin())));
        c.add(Column.<PoolRow>right("maxwait", "maxwait", 7, 2, p -> Format.seconds(p.maxwaitSeconds()))
                .coloured(p -> p.maxwaitSeconds() >= maxwaitWarn ? TextColor.ANSI.RED_BRIGHT
                        : p.maxwaitSeconds() > 0 ? TextColor.ANSI.YELLOW_BRIGHT : null));
        c.add(Column.<PoolRow>left("why", "why", 9, 3, p -> shortCause(p.waitCause()))
                .coloured(p -> TextColor.ANSI.YELLOW_BRIGHT));
        c.add(Column.right("pool_size", "size", 4, 4, p -> p.poolSize() < 0 ? Format.UNKNOWN
                : Integer.toString(p.poolSize())));
        c.add(Column.<PoolRow>left("saturation", "saturation", BAR + 5, 4, PoolsView::bar)
                .coloured(p -> p.saturation() >= saturationWarn ? TextColor.ANSI.RED_BRIGHT
                        : p.saturation() >= 0.5 ? TextColor.ANSI.YELLOW_BRIGHT : TextColor.ANSI.GREEN_BRIGHT));
        c.add(Column.right("tps", "tps", 6, 5, p -> Format.rate(p.tps())));
        // poolctl's wait histogram: how long clients waited for a server, p50 and p99 since the pool began
        c.add(Column.right("wait_p50", "w_p50", 6, 9, p -> Format.micros(p.waitP50Us())));
        c.add(Column.right("wait_p99", "w_p99", 6, 9, p -> Format.micros(p.waitP99Us())));
        int perCell = samplesPerCell(m.interval());
        String window = Format.duration(m.interval().multipliedBy((long) perCell * SPARK));
        c.add(Column.left("tps_history", "tps " + window, SPARK, 8,
                p -> Sparkline.of(h.tps(p.key(), SPARK * perCell), SPARK, perCell)));
        c.add(Column.<PoolRow>left("waiting_history", "cl_waiting " + window, SPARK, 8,
                p -> Sparkline.of(h.waiting(p.key(), SPARK * perCell), SPARK, perCell))
                .coloured(p -> TextColor.ANSI.YELLOW));
        return c;
    }

    /** Enough samples per sparkline cell that the line covers about {@link #HISTORY_WINDOW}. */
    static int samplesPerCell(Duration interval) {
        long perCell = HISTORY_WINDOW.toMillis() / Math.max(1, interval.toMillis()) / SPARK;
        return (int) Math.max(1, Math.min(perCell, History.CAPACITY / SPARK));
    }

    /** SHOW WAITS' cause in nine cells (Enter shows it whole, with its detail). */
    static String shortCause(String cause) {
        return switch (cause) {
            case "server_login_failing" -> "login_err";
            case "server_login" -> "logins";
            case "reserve_pool" -> "reserve";
            case "max_db_connections" -> "max_db";
            case "max_user_connections" -> "max_user";
            case "server_release" -> "release";
            default -> cause;
        };
    }

    /** pool_mode in four cells: session, transaction and statement are too wide for 80 columns. */
    static String mode(String poolMode) {
        return switch (poolMode) {
            case "session" -> "sess";
            case "transaction" -> "tx";
            case "statement" -> "stmt";
            default -> poolMode;
        };
    }

    /** {@code ######....  50%}: sv_active against pool_size. */
    static String bar(PoolRow p) {
        double s = p.saturation();
        if (Double.isNaN(s)) {
            return "";
        }
        int filled = (int) Math.round(Math.min(1, s) * BAR);
        return "#".repeat(filled) + ".".repeat(BAR - filled) + Format.fit(Math.round(s * 100) + "%", 5, true);
    }

    public static void draw(TextGraphics g, DashboardModel m, int top, int height, int width) {
        ViewState st = m.state(View.POOLS);
        TableRenderer.draw(g, top, height, width, columns(m), m.visiblePools(), st.selected(), st.sortKey(),
                m.current() == null ? Strings.WAITING_FOR_DATA : Strings.NO_ROWS);
    }
}

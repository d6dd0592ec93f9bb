package dev.poolctl.tui.view;

import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.PoolRow;
import dev.poolctl.tui.model.Prompt;
import java.util.ArrayList;
import java.util.List;

/** The Pools view's Enter: why the selected pool's clients wait, its cause and the numbers behind it. */
final class WaitDetailBox {
    private WaitDetailBox() {}

    static List<String> lines(DashboardModel m, Prompt.WaitDetail p, int width) {
        String name = p.database() + " / " + p.user();
        PoolRow pool = m.pools().stream().filter(r -> r.database().equals(p.database()) && r.user().equals(p.user()))
                .findFirst().orElse(null);
        List<String> lines = new ArrayList<>();
        if (pool == null || pool.why() == null) {
            lines.add(pool == null ? "pool " + name + " is gone" : "no client of " + name + " is waiting");
        } else {
            lines.add("why clients of " + name + " wait");
            lines.add("waiting " + pool.clWaiting() + ", longest " + Format.seconds(pool.maxwaitSeconds()));
            lines.add("cause: " + pool.why().cause() + (m.waitsInferred()
                    ? "  (inferred from SHOW POOLS, DATABASES, USERS, CONFIG)" : "  (SHOW WAITS)"));
            lines.addAll(wrap(pool.why().detail(), Math.max(20, width - 8)));
        }
        lines.add(Strings.ANY_KEY);
        return lines;
    }

    /** Words into lines of at most {@code width} characters; a longer word is cut. */
    static List<String> wrap(String text, int width) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.split(" ")) {
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                out.add(line.toString());
                line.setLength(0);
            }
            line.append(line.length() == 0 ? "" : " ").append(word);
        }
        if (line.length() > 0) {
            out.add(line.toString());
        }
        return out;
    }
}

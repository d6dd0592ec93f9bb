package dev.poolctl.tui.view;

import com.googlecode.lanterna.TextColor;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;

/**
 * A column as data (ttop's registry, k9s' HeaderColumn): sort key, header, width, alignment, and a priority that
 * decides which columns stay when the terminal is narrow (lower stays longer).
 *
 * @param colour the cell's foreground, or null for the default
 */
public record Column<T>(String key, String header, int width, boolean right, int priority,
        Function<T, String> text, Function<T, TextColor> colour) {

    public static <T> Column<T> left(String key, String header, int width, int priority, Function<T, String> text) {
        return new Column<>(key, header, width, false, priority, text, null);
    }

    public static <T> Column<T> right(String key, String header, int width, int priority, Function<T, String> text) {
        return new Column<>(key, header, width, true, priority, text, null);
    }

    public Column<T> coloured(Function<T, TextColor> c) {
        return new Column<>(key, header, width, right, priority, text, c);
    }

    /**
     * The columns that fit in {@code width} (one space between columns), taken by priority and shown in declared
     * order. The first column always stays.
     */
    public static <T> List<Column<T>> fit(List<Column<T>> all, int width) {
        List<Column<T>> byPriority = new ArrayList<>(all);
        byPriority.sort(Comparator.comparingInt(Column::priority));
        List<Column<T>> chosen = new ArrayList<>();
        int used = 0;
        for (Column<T> c : byPriority) {
            int need = c.width() + (chosen.isEmpty() ? 0 : 1);
            if (chosen.isEmpty() || used + need <= width) {
                chosen.add(c);
                used += need;
            }
        }
        List<Column<T>> out = new ArrayList<>();
        for (Column<T> c : all) {
            if (chosen.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }
}

package dev.poolctl.tui.model;

/** Per view: sort column (null = the console's order), direction flip, filter and selected row. Immutable. */
public record ViewState(String sortKey, boolean reversed, String filter, int selected) {
    public static final ViewState INITIAL = new ViewState(null, false, "", 0);

    ViewState sort(String key, boolean rev) {
        return new ViewState(key, rev, filter, selected);
    }

    ViewState filter(String text) {
        return new ViewState(sortKey, reversed, text, 0);
    }

    ViewState select(int row) {
        return new ViewState(sortKey, reversed, filter, row);
    }
}

package dev.poolctl.tui.input;

/** What a key asks for. {@code changesPooler} actions are left out in --readonly. */
public enum Action {
    QUIT("quit", "quit", false),
    HELP("this help", "help", false),
    VIEW_POOLS("Pools view", "", false),
    VIEW_CLIENTS("Clients view", "", false),
    VIEW_SERVERS("Servers view", "", false),
    VIEW_STATS("Stats view", "", false),
    VIEW_DATABASES("Databases view", "", false),
    VIEW_CONFIG("Config view", "", false),
    VIEW_HAZARDS("Hazards view (poolctl)", "", false),
    VIEW_FLEET("Fleet view (top --target ...)", "", false),
    NEXT_VIEW("next view", "views", false),
    UP("select previous row", "", false),
    DOWN("select next row", "", false),
    PAGE_UP("previous page", "", false),
    PAGE_DOWN("next page", "", false),
    FILTER("filter: any text, or column=value (Enter keeps, Esc clears)", "filter", false),
    WHY("Pools: why the pool waits; Fleet: that instance alone (again: all)", "why", false),
    SORT("sort by the next column", "sort", false),
    REVERSE_SORT("reverse the sort", "", false),
    SLOWER("refresh less often", "", false),
    FASTER("refresh more often", "", false),
    FREEZE("freeze / unfreeze (replay: pause / play)", "freeze", false),
    STEP("replay: one snapshot on while paused", "", false),
    PAUSE("PAUSE selected database", "pause", true),
    RESUME("RESUME selected database", "resume", true),
    RELOAD("RELOAD the configuration", "", true),
    RECONNECT("RECONNECT selected db", "", true),
    KILL("KILL selected database (Clients view: KILL_CLIENT the selected client)", "kill", true);

    private final String description;
    private final String hint;
    private final boolean changesPooler;

    /** @param hint the word on the status line's key hints, or empty when the action is not hinted there */
    Action(String description, String hint, boolean changesPooler) {
        this.description = description;
        this.hint = hint;
        this.changesPooler = changesPooler;
    }

    public String hint() {
        return hint;
    }

    public String description() {
        return description;
    }

    public boolean changesPooler() {
        return changesPooler;
    }
}

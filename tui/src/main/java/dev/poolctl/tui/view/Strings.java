package dev.poolctl.tui.view;

/** Every user-visible text of the dashboard in one place (gitui's strings.rs). */
public final class Strings {
    public static final String TITLE = "poolctl top";
    public static final String WAITING_FOR_DATA = "waiting for the first answer from the admin console...";
    public static final String NO_ROWS = "no rows";
    public static final String COUNTERS_RESET = "reset";
    public static final String FROZEN = "FROZEN (Space)";
    public static final String ALERTS = "alerts";
    public static final String NO_ALERTS = "none";
    public static final String RECONNECTING = "reconnecting... attempt %d, next try in %s: %s";
    public static final String CONNECTING = "connecting to %s...";
    public static final String FILTER_PROMPT = "filter: ";
    public static final String CONFIRM = "%s ?   y = run it, any other key = cancel";
    public static final String HELP_TITLE = "keys (any key closes)";
    public static final String ANY_KEY = "(any key closes)";
    public static final String READONLY = "read-only: actions are off";
    public static final String NO_DATABASE = "select a row with a database first";
    public static final String NO_CLIENT_ID = "this target's SHOW CLIENTS has no id column (PgBouncer 1.23+ has)";
    public static final String NO_POOL = "select a pool in the Pools view first (Enter: why its clients wait)";
    public static final String RUNNING = "%s: running...";
    public static final String ANSWERED = "%s: %s";
    public static final String FAILED = "%s failed: %s";

    private Strings() {}
}

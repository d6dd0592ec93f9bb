package dev.poolctl.tui.model;

/** What the keyboard is talking to: the views, or a prompt drawn over them. */
public sealed interface Prompt {
    /** Keys go to the key bindings. */
    record None() implements Prompt {}

    /** Typing edits the filter of the current view; Enter keeps it, Esc clears it. */
    record Filter(String text) implements Prompt {}

    /**
     * y runs {@code command}, anything else cancels; {@code instance}: the fleet instance it goes to (a client's
     * own), or null for the dashboard's scope (every instance, or the one shown alone).
     */
    record Confirm(String command, String instance) implements Prompt {
        public Confirm(String command) {
            this(command, null);
        }
    }

    /** The key list; any key closes it. */
    record Help() implements Prompt {}

    /** Why the pool {@code database/user} waits (SHOW WAITS, or inferred); any key closes it. */
    record WaitDetail(String database, String user) implements Prompt {}

    Prompt NONE = new None();
}

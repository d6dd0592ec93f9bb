package dev.poolctl.tui.source;

/** Runs one control command (PAUSE db, RELOAD, ...) on the admin console and returns its answer. */
@FunctionalInterface
public interface ConsoleActions {
    /**
     * @return the command tag and any NOTICE, e.g. {@code PAUSE}
     * @throws Exception the console refused (its message is shown) or could not be reached
     */
    String run(String command) throws Exception;
}

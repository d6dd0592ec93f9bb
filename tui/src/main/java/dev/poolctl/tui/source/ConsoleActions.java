package dev.poolctl.tui.source;

/** Runs one control command (PAUSE db, RELOAD, ...) on the admin console and returns its answer. */
@FunctionalInterface
public interface ConsoleActions {
    /**
     * @return the command tag and any NOTICE, e.g. {@code PAUSE}
     * @throws Exception the console refused (its message is shown) or could not be reached
     */
    String run(String command) throws Exception;

    /** On a fleet: {@code command} on instance {@code instance} only, or on all when it is null. */
    default String run(String command, String instance) throws Exception {
        return run(command);
    }
}

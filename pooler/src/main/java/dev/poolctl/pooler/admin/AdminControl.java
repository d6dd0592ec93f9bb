package dev.poolctl.pooler.admin;

/** What the console may ask of the daemon itself (PgBouncer's RELOAD and SHUTDOWN). */
public interface AdminControl {
    /**
     * Re-reads the config and auth_file off the loop; completes on the loop once applied, or with what is wrong,
     * leaving the running config in place.
     */
    java.util.concurrent.CompletionStage<Void> reload();

    /** {@code mode}: null for immediate, "WAIT_FOR_SERVERS" or "WAIT_FOR_CLIENTS". */
    void shutdown(String mode);
}

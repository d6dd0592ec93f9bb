package dev.poolctl.pooler.admin;

/** What the console may ask of the daemon itself (PgBouncer's RELOAD and SHUTDOWN). */
public interface AdminControl {
    /**
     * Re-reads the config and auth_file off the loop; completes on the loop once applied, or with what is wrong,
     * leaving the running config in place.
     */
    java.util.concurrent.CompletionStage<Void> reload();

    /**
     * SET of a TLS key: builds the TLS contexts of {@code next} off the loops and puts them in force; completes with
     * what is wrong (an unreadable file) when they cannot be built, leaving the running ones.
     */
    default java.util.concurrent.CompletionStage<Void> rebuildTls(dev.poolctl.pooler.config.PoolerConfig next) {
        return java.util.concurrent.CompletableFuture.failedFuture(new IllegalStateException("TLS cannot change here"));
    }

    /** {@code mode}: null for immediate, "WAIT_FOR_SERVERS" or "WAIT_FOR_CLIENTS". */
    void shutdown(String mode);
}

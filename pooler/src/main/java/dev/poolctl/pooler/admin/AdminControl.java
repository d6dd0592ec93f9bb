package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.config.PoolerConfig;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** What the console may ask of the daemon itself (PgBouncer's RELOAD and SHUTDOWN). */
public interface AdminControl {
    /**
     * Re-reads the config and auth_file off the loop; completes on the loop once applied, or with what is wrong,
     * leaving the running config in place.
     */
    CompletionStage<Void> reload();

    /**
     * SET of a TLS key: builds the TLS contexts of {@code next} off the loops and puts them in force. Completes with
     * false when they cannot be built (a missing file, a key not of its certificate): that is logged with the reason
     * and the running contexts stay.
     */
    default CompletionStage<Boolean> rebuildTls(PoolerConfig next) {
        return CompletableFuture.completedFuture(false);
    }

    /**
     * {@code mode}: null for immediate, "WAIT_FOR_SERVERS" or "WAIT_FOR_CLIENTS". Completes once the pooler no
     * longer listens on TCP.
     */
    CompletableFuture<Void> shutdown(String mode);

    /**
     * DRAIN: clients closed at transaction boundaries; the daemon exits when none is left or at {@code deadline}.
     * Completes once the pooler no longer listens on TCP.
     */
    CompletableFuture<Void> drain(java.time.Duration deadline);
}

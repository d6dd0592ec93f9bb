package dev.poolctl.pooler.pool;

import dev.poolctl.pooler.config.PoolMode;
import dev.poolctl.pooler.protocol.PgProtocol;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One loop's part of a shutdown that waits (PgBouncer's {@code cf_shutdown}): from SHUTDOWN WAIT_FOR_SERVERS or
 * WAIT_FOR_CLIENTS on, logins to pools are refused and RESUME is too. A drain (poolctl's DRAIN) goes further: every
 * client is closed at its next transaction boundary with SQLSTATE 57P01 and {@code drain_message}, so that a
 * driver's pool reconnects (through a load balancer, to another instance) without a failed transaction.
 */
public final class Stopping {
    private boolean stopping;
    private String drainMessage;

    /** A shutdown waits: logins to pools are refused from now on. */
    public void begin() {
        stopping = true;
    }

    public boolean isStopping() {
        return stopping;
    }

    /** Draining: the clients of {@code pools} that sit between transactions are closed now, the others later. */
    public void drain(Collection<Pool> pools, String message) {
        stopping = true;
        drainMessage = message;
        sweep(pools);
    }

    public boolean isDraining() {
        return drainMessage != null;
    }

    /**
     * Every janitor tick while draining: closes the clients that are between transactions. Most are closed when
     * their transaction ends ({@link #transactionEnded}); this catches those that were idle when the drain began
     * and those that logged in meanwhile (over a connection accepted before the listeners closed).
     */
    void sweep(Collection<Pool> pools) {
        if (drainMessage == null) {
            return;
        }
        List<PoolClient> between = new ArrayList<>();
        for (Pool pool : pools) {
            between.addAll(pool.clientLists().list(ClientState.IDLE)); // no server, so no transaction open
            if (pool.mode() == PoolMode.SESSION) {
                for (PoolServer s : pool.serverLists().list(ServerState.ACTIVE)) {
                    if (s.client() != null && s.isQuiet()) {
                        between.add(s.client()); // idle in its session, outside a transaction
                    }
                }
            }
        }
        for (PoolClient c : between) {
            c.fail(PgProtocol.ADMIN_SHUTDOWN, drainMessage);
        }
    }

    /** A client's transaction ended and its ReadyForQuery went out: while draining, it is closed now. */
    void transactionEnded(PoolClient c) {
        if (drainMessage != null) {
            c.fail(PgProtocol.ADMIN_SHUTDOWN, drainMessage);
        }
    }
}

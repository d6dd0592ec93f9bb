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
    /**
     * A drain leaves a client alone while it has been between transactions for less than this: one that has just
     * logged in is about to send its first query (pgbench -C, a driver's pool growing), and closing it then would
     * fail that query. One that has just finished a transaction is closed at once ({@link #transactionEnded}), unless
     * it logged in less than this ago: a driver's own setup (pgjdbc's SET extra_float_digits) is a transaction, and
     * the client came for the next one.
     */
    static final long IDLE_GRACE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);

    private boolean stopping;
    /** SHUTDOWN WAIT_FOR_SERVERS (SIGINT): the pooler is paused, and a client that waits for a server is closed. */
    private boolean waitForServers;
    private String drainMessage;

    /**
     * A shutdown waits: logins to pools are refused from now on. {@code forServers}: WAIT_FOR_SERVERS, where, as in
     * PgBouncer, the pooler is paused and each client left waiting for a server is closed ("server shutting down").
     */
    public void begin(boolean forServers) {
        stopping = true;
        waitForServers |= forServers;
    }

    public boolean isStopping() {
        return stopping;
    }

    /**
     * Logins to pools are refused while a shutdown waits, as PgBouncer's "pooler is shutting down". A drain lets the
     * logins under way finish: those clients came before the listener closed, and each gets its transaction.
     */
    public boolean refusesLogins() {
        return stopping && drainMessage == null;
    }

    /** Draining: the clients of {@code pools} that sit between transactions are closed now, the others later. */
    public void drain(Collection<Pool> pools, String message, long nowNanos) {
        stopping = true;
        drainMessage = message;
        sweep(pools, nowNanos);
    }

    public boolean isDraining() {
        return drainMessage != null;
    }

    /**
     * Every janitor tick while draining: closes the clients that have been between transactions for
     * {@link #IDLE_GRACE_NANOS}. Most are closed when their transaction ends ({@link #transactionEnded}); this
     * catches those that were idle when the drain began and those that logged in meanwhile and stay idle.
     */
    void sweep(Collection<Pool> pools, long nowNanos) {
        if (waitForServers && drainMessage == null) {
            for (Pool pool : pools) {
                for (PoolClient c : pool.clientLists().list(ClientState.WAITING)) {
                    c.fail(PgProtocol.PROTOCOL_VIOLATION, "server shutting down"); // PgBouncer's janitor and words
                }
            }
        }
        if (drainMessage == null) {
            return;
        }
        List<PoolClient> between = new ArrayList<>();
        for (Pool pool : pools) {
            for (PoolClient c : pool.clientLists().list(ClientState.IDLE)) { // no server, so no transaction open
                if (nowNanos - c.entry().sinceNanos() >= IDLE_GRACE_NANOS) {
                    between.add(c);
                }
            }
            if (pool.mode() == PoolMode.SESSION) {
                for (PoolServer s : pool.serverLists().list(ServerState.ACTIVE)) {
                    PoolClient c = s.client();
                    long idleSince = c == null ? 0 : Math.max(c.entry().sinceNanos(), s.requestNanos());
                    if (c != null && s.isQuiet() && nowNanos - idleSince >= IDLE_GRACE_NANOS) {
                        between.add(c); // idle in its session, outside a transaction
                    }
                }
            }
        }
        for (PoolClient c : between) {
            c.fail(PgProtocol.ADMIN_SHUTDOWN, drainMessage);
        }
    }

    /**
     * A client's transaction ended and its ReadyForQuery went out: while draining, it is closed now, unless it logged
     * in less than {@link #IDLE_GRACE_NANOS} ago (then its next boundary, or the sweep once it idles, closes it).
     */
    void transactionEnded(PoolClient c, long nowNanos) {
        if (drainMessage != null && nowNanos - c.connectNanos() >= IDLE_GRACE_NANOS) {
            c.fail(PgProtocol.ADMIN_SHUTDOWN, drainMessage);
        }
    }
}

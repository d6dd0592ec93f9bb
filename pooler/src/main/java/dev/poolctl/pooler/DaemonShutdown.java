package dev.poolctl.pooler;

import dev.poolctl.pooler.PoolerDaemon.ShutdownMode;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.Listeners;
import dev.poolctl.pooler.pool.GlobalState;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * How the daemon stops: PgBouncer's {@code cf_shutdown} (SHUTDOWN, WAIT_FOR_SERVERS, WAIT_FOR_CLIENTS and their
 * signals) and poolctl's DRAIN. A shutdown that waits closes the TCP listeners at once (the unix socket stays for
 * the console, as PgBouncer's {@code cleanup_tcp_sockets}), refuses logins to pools, and ends from a janitor tick
 * once its condition holds: then every client is closed and the process exits.
 */
final class DaemonShutdown {
    private static final long PROGRESS_LOG_NANOS = TimeUnit.SECONDS.toNanos(5);
    private static final String SHUTDOWN_MESSAGE = "database is shutting down"; // PgBouncer's, to clients at exit
    /**
     * A connection accepted just before the listener closed is counted once its loop has registered it, a moment
     * later: a drain does not end before this has passed since the close.
     */
    private static final long ACCEPTED_SETTLE_NANOS = TimeUnit.MILLISECONDS.toNanos(200);

    private final EventLoops loops;
    private final Listeners listeners;
    private final Executor offLoop;
    private final GlobalState global;
    private final PoolerLog log;
    private final Runnable stopJanitors;
    private final Runnable close;
    private final AtomicBoolean finished = new AtomicBoolean();
    private volatile ShutdownMode mode;
    /** DRAIN: when the clients still in a transaction are closed anyway (System.nanoTime); 0 = no deadline. */
    private volatile long deadlineNanos;
    private volatile String drainMessage;
    private long lastProgressNanos;
    /** DRAIN: completes once the TCP listeners are closed (after drain_accept_grace); null before the first drain. */
    private CompletableFuture<Void> drainStopsListening;
    /** When the TCP listeners were closed (System.nanoTime), 0 while they listen. */
    private volatile long tcpClosedNanos;

    DaemonShutdown(EventLoops loops, Listeners listeners, Executor offLoop, GlobalState global, PoolerLog log,
                   Runnable stopJanitors, Runnable close) {
        this.loops = loops;
        this.listeners = listeners;
        this.offLoop = offLoop;
        this.global = global;
        this.log = log;
        this.stopJanitors = stopJanitors;
        this.close = close;
    }

    ShutdownMode mode() {
        return mode;
    }

    /** Why the pooler no longer accepts clients (/readyz): "draining", "shutting down"; null before either. */
    String notAccepting() {
        ShutdownMode m = mode;
        return m == null ? null : m == ShutdownMode.DRAIN ? "draining" : "shutting down";
    }

    /**
     * Starts a shutdown; a second request while one runs makes it immediate, as in PgBouncer. Completes once the
     * listeners are closed (TCP only, for a shutdown that waits).
     */
    CompletableFuture<Void> request(ShutdownMode wanted) {
        ShutdownMode m = mode != null ? ShutdownMode.IMMEDIATE : wanted;
        mode = m;
        if (m != ShutdownMode.IMMEDIATE) {
            boolean forServers = m == ShutdownMode.WAIT_FOR_SERVERS;
            loops.onEvery(pm -> {
                pm.stopping().begin(forServers);
                if (forServers && pm.pauseMode() == PoolManager.PauseMode.NONE) {
                    pm.pause(null); // PgBouncer's WAIT_FOR_SERVERS pauses: no new transaction gets a server
                }
            }, new CompletableFuture<>());
        }
        return stopListening(m);
    }

    /**
     * DRAIN: every client is closed at its next transaction boundary with SQLSTATE 57P01 and {@code message}; the
     * daemon exits when none is left, or at {@code deadline} (zero: none) closing those still in a transaction. TCP
     * keeps accepting for {@code acceptGrace} (the clients that come meanwhile are drained in turn), so that a load
     * balancer that reads /readyz stops sending before the listener closes: a close resets the connections queued
     * on it. A drain during a shutdown that waits takes it over; a second drain sets the new deadline. Completes
     * once TCP no longer accepts.
     */
    CompletableFuture<Void> drain(Duration deadline, Duration acceptGrace, String message) {
        if (mode == ShutdownMode.IMMEDIATE) {
            return CompletableFuture.completedFuture(null);
        }
        drainMessage = message;
        deadlineNanos = deadline.isZero() ? 0 : Math.max(1, System.nanoTime() + deadline.toNanos());
        global.draining(deadline.isZero() ? null : java.time.Instant.now().plus(deadline)); // SHOW STATE says so
        boolean wasListening = mode == null;
        mode = ShutdownMode.DRAIN;
        loops.onEvery(pm -> pm.stopping().drain(pm.pools(), message, pm.clock().nanoTime()), new CompletableFuture<>());
        synchronized (this) {
            if (drainStopsListening == null) {
                if (!wasListening || acceptGrace.isZero()) {
                    drainStopsListening = stopListening(ShutdownMode.DRAIN);
                } else {
                    log.log("drain: accepting new clients on TCP for " + acceptGrace.toMillis() / 1000.0
                            + "s more (drain_accept_grace) while /readyz answers 503");
                    CompletableFuture<Void> closed = new CompletableFuture<>();
                    try {
                        loops.first().loop().schedule(() -> stopListening(ShutdownMode.DRAIN).whenComplete((v, e) -> {
                            log.log("drain: no longer listening on TCP");
                            closed.complete(null);
                        }), acceptGrace.toNanos(), TimeUnit.NANOSECONDS);
                    } catch (RejectedExecutionException alreadyClosing) {
                        closed.complete(null); // the daemon is closing: its listeners with it
                    }
                    drainStopsListening = closed;
                }
            }
            return drainStopsListening;
        }
    }

    private CompletableFuture<Void> stopListening(ShutdownMode m) {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        try {
            // Off the loops: closing a listen socket waits for the loop it is on, and unlinks a socket file.
            offLoop.execute(() -> {
                if (m == ShutdownMode.IMMEDIATE) {
                    listeners.close();
                    finish(null);
                } else {
                    listeners.closeTcp();
                }
                tcpClosedNanos = Math.max(1, System.nanoTime());
                closed.complete(null);
            });
        } catch (RejectedExecutionException alreadyStopping) {
            closed.complete(null); // the daemon is already closing: nothing left to stop
        }
        return closed;
    }

    /** On each loop's janitor tick: whether the shutdown that waits may end now. */
    void tick(LoopShard shard) {
        ShutdownMode m = mode;
        if (m == ShutdownMode.WAIT_FOR_CLIENTS && global.clientCount() == 0) {
            finish(null);
        } else if (m == ShutdownMode.WAIT_FOR_SERVERS) {
            shard.serversIdle = shard.manager().pools().stream().allMatch(p -> p.activeCount() == 0);
            if (loops.all().stream().allMatch(sh -> sh.serversIdle)) {
                finish(null);
            }
        } else if (m == ShutdownMode.DRAIN) {
            drainTick(shard);
        }
    }

    private void drainTick(LoopShard shard) {
        PoolManager pm = shard.manager();
        shard.drainServersActive = pm.pools().stream().mapToInt(Pool::activeCount).sum();
        shard.drainClientsLeft = pm.pools().stream().mapToInt(Pool::clientCount).sum() + pm.loginClientCount();
        shard.drainOthers = pm.adminClientCount() + pm.cancelRequestCount();
        int left = 0;
        int others = 0;
        int active = 0;
        for (LoopShard sh : loops.all()) {
            if (sh.drainClientsLeft < 0) {
                return; // a loop that has not counted yet
            }
            left += sh.drainClientsLeft;
            others += sh.drainOthers;
            active += sh.drainServersActive;
        }
        // The loops count at different moments: a client handed from one loop to another in between is in neither
        // count. The global count of sockets has it; less the console and cancel connections, it must be 0 too.
        left = Math.max(left, global.clientCount() - others);
        long now = System.nanoTime();
        long deadline = deadlineNanos;
        long tcpClosed = tcpClosedNanos;
        boolean mayStillCome = tcpClosed == 0 || now - tcpClosed < ACCEPTED_SETTLE_NANOS;
        if (left == 0 && !mayStillCome) {
            log.log("drain finished: no client left");
            finish(null);
        } else if (deadline != 0 && now - deadline >= 0) {
            log.log("drain deadline reached: closing " + left + " client" + (left == 1 ? "" : "s"));
            finish(drainMessage);
        } else if (shard == loops.first() && now - lastProgressNanos >= PROGRESS_LOG_NANOS) {
            lastProgressNanos = now;
            log.log("draining: " + left + " client" + (left == 1 ? "" : "s") + " left, " + active + " server"
                    + (active == 1 ? "" : "s") + " active" + (deadline == 0 ? ""
                    : ", deadline in " + Math.max(0, TimeUnit.NANOSECONDS.toSeconds(deadline - now)) + "s"));
        }
    }

    /** Closes every client ({@code message}, or PgBouncer's words at shutdown) and then the daemon; once. */
    void finish(String message) {
        if (!finished.compareAndSet(false, true)) {
            return;
        }
        stopJanitors.run();
        String why = message != null ? message : SHUTDOWN_MESSAGE;
        loops.onEvery(m -> m.shutdown(why), new CompletableFuture<>());
        try {
            // The unix socket a waiting shutdown kept: closed off the loops (a close waits for the socket's loop).
            offLoop.execute(() -> {
                listeners.close();
                loops.first().loop().schedule(close, 50, TimeUnit.MILLISECONDS);
            });
        } catch (RejectedExecutionException alreadyClosing) {
            loops.first().loop().schedule(close, 50, TimeUnit.MILLISECONDS);
        }
    }
}

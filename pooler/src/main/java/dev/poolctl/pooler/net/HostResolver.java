package dev.poolctl.pooler.net;

import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Server host names to addresses without blocking the event loop (PgBouncer's dns.c): the system resolver
 * ({@code getaddrinfo}: /etc/hosts, then DNS, as every other program on the host sees it) runs on resolver threads,
 * and the answer comes back on the loop. Answers are cached for {@code dns_max_ttl}, failures for
 * {@code dns_nxdomain_ttl}; several addresses for one name are used in turn, as PgBouncer does (those of the first
 * answer's address family only). Concurrent lookups of one name share one query, so a dead DNS server costs one
 * stuck thread, not one per client.
 *
 * <p>Two things PgBouncer does not do, so that a failover behind a DNS name ends quickly: a failed connect to an
 * address makes the next resolve of its name look it up again ({@link #connectFailed}), and a lookup that has not
 * returned after {@link Settings#lookupTimeout} fails its waiters, after which the name is looked up afresh
 * (PgBouncer's issue 1583: its hung lookup was joined by every later one, forever).
 *
 * <p>Every method but the constructor and {@link #close} runs on the loop: the cache needs no locks.
 */
public final class HostResolver implements AutoCloseable {
    /** The blocking lookup: {@link InetAddress#getAllByName} in production, a stub in tests. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] lookup(String host) throws UnknownHostException;
    }

    /**
     * {@code dns_max_ttl}, {@code dns_nxdomain_ttl} and how long a lookup may take (zero: {@link
     * #DEFAULT_LOOKUP_TIMEOUT}), read at each lookup so a RELOAD applies.
     */
    public record Settings(Duration maxTtl, Duration nxdomainTtl, Duration lookupTimeout) {}

    /**
     * One resolve's outcome: an address, or null and why not. {@code answer} names the cached answer the address
     * came from, for {@link #connectFailed}; 0 for an IP literal.
     */
    public record Resolved(InetAddress address, String error, long answer) {}

    /** The lookup limit when server_connect_timeout is 0 (no limit there): that setting's default. */
    static final Duration DEFAULT_LOOKUP_TIMEOUT = Duration.ofSeconds(15);

    /** Lookups at once while none hangs: one slow name does not delay another. */
    private static final int THREADS = 2;

    /**
     * Threads at most, hung ones included. A lookup that timed out leaves its thread in the C library (nothing
     * interrupts {@code getaddrinfo}), so a replacement is started for it; past this many, resolving fails at once.
     */
    static final int MAX_THREADS = 8;

    /** Names waiting for a lookup at most; past this a lookup fails at once rather than queue without bound. */
    private static final int MAX_PENDING = 1024;

    private final EventLoop loop;
    private final Lookup lookup;
    private final Supplier<Settings> settings;
    private final LongSupplier nanoClock;
    private final ThreadPoolExecutor threads;
    private final Map<String, Entry> cache = new HashMap<>();
    private final Map<String, Pending> inFlight = new HashMap<>();
    private long answers; // numbers the cached answers, for connectFailed
    private int hung; // threads still in a lookup whose waiters were told it timed out

    private static final class Entry {
        final long id;
        final InetAddress[] addresses; // null: the name did not resolve
        final String error;
        final long expiresNanos;
        boolean stale; // a connect to one of its addresses failed: look the name up again
        int next;

        Entry(long id, InetAddress[] addresses, String error, long expiresNanos) {
            this.id = id;
            this.addresses = addresses;
            this.error = error;
            this.expiresNanos = expiresNanos;
        }
    }

    /** One lookup on a resolver thread and the resolves that wait for it. */
    private static final class Pending {
        final Duration limit;
        final List<Consumer<Resolved>> waiters = new ArrayList<>();
        // Taken by the thread as it starts the lookup, or by the timeout while it still queues: exactly one wins, so
        // the timeout knows whether a thread is stuck in the lookup or the task will do nothing when dequeued.
        final AtomicBoolean taken = new AtomicBoolean();
        ScheduledFuture<?> timeout;
        boolean timedOut;

        Pending(Duration limit) {
            this.limit = limit;
        }
    }

    public HostResolver(EventLoop loop, Lookup lookup, Supplier<Settings> settings, LongSupplier nanoClock) {
        this.loop = loop;
        this.lookup = lookup;
        this.settings = settings;
        this.nanoClock = nanoClock;
        // THREADS core threads; the core grows by one per hung thread (see timedOut), up to MAX_THREADS. Threads
        // above the core leave as soon as they are idle.
        threads = new ThreadPoolExecutor(THREADS, MAX_THREADS, 0, TimeUnit.MILLISECONDS,
                new LinkedBlockingQueue<>(MAX_PENDING), r -> {
                    Thread t = new Thread(r, "poolctl-dns");
                    t.setDaemon(true); // a lookup stuck in the C library must not keep the process alive
                    return t;
                });
    }

    public HostResolver(EventLoop loop, Supplier<Settings> settings) {
        this(loop, InetAddress::getAllByName, settings, System::nanoTime);
    }

    /**
     * Calls {@code done} on the loop with an address, or with null and why the name did not resolve. An IP literal
     * is answered at once, without a lookup.
     */
    public void resolve(String host, Consumer<Resolved> done) {
        if (NetUtil.isValidIpV4Address(host) || NetUtil.isValidIpV6Address(host)) {
            done.accept(new Resolved(literal(host), null, 0));
            return;
        }
        Entry e = cache.get(host);
        if (e != null && !e.stale && nanoClock.getAsLong() - e.expiresNanos < 0) {
            answer(e, done);
            return;
        }
        Pending waiting = inFlight.get(host);
        if (waiting != null) {
            waiting.waiters.add(done);
            return;
        }
        if (hung >= MAX_THREADS) {
            String why = "all " + MAX_THREADS + " resolver threads are stuck in lookups that timed out";
            done.accept(new Resolved(null, why, 0));
            return;
        }
        Duration limit = lookupLimit(settings.get().lookupTimeout());
        Pending p = new Pending(limit);
        p.waiters.add(done);
        try {
            threads.execute(() -> run(host, p));
        } catch (RejectedExecutionException full) {
            done.accept(new Resolved(null, "too many DNS lookups pending", 0));
            return;
        }
        inFlight.put(host, p);
        p.timeout = loop.schedule(() -> timedOut(host, p), limit.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** How long a lookup may take: as configured, {@link #DEFAULT_LOOKUP_TIMEOUT} for zero (no limit there). */
    static Duration lookupLimit(Duration configured) {
        return configured.isZero() ? DEFAULT_LOOKUP_TIMEOUT : configured;
    }

    /**
     * A connect to {@code r}'s address failed (refused, timed out, reset): if {@code r} came from the answer cached
     * now, the next resolve of {@code host} looks the name up again instead of waiting out dns_max_ttl (after a
     * failover the name points elsewhere). Failures from an older answer change nothing, so a burst of failed
     * connects costs one new lookup.
     */
    public void connectFailed(String host, Resolved r) {
        Entry e = cache.get(host);
        if (e != null && r.answer() != 0 && e.id == r.answer()) {
            e.stale = true;
        }
    }

    /** On a resolver thread. */
    private void run(String host, Pending p) {
        if (!p.taken.compareAndSet(false, true)) {
            return; // timed out while it queued: its waiters were told, and a newer lookup may be under way
        }
        InetAddress[] found = null;
        String error = null;
        try {
            found = sameFamilyAsFirst(lookup.lookup(host));
            if (found.length == 0) {
                found = null;
                error = "no address";
            }
        } catch (UnknownHostException ex) {
            error = "unknown host";
        } catch (RuntimeException ex) {
            error = String.valueOf(ex.getMessage());
        }
        InetAddress[] a = found;
        String why = error;
        try {
            loop.execute(() -> completed(host, p, a, why));
        } catch (RejectedExecutionException shuttingDown) {
            // the loop is gone and with it everyone who waited
        }
    }

    private void completed(String host, Pending p, InetAddress[] addresses, String error) {
        if (p.timedOut) {
            // A late answer: its waiters were told and the name may have been looked up since; only the thread is back.
            hung--;
            threads.setCorePoolSize(Math.min(MAX_THREADS, THREADS + hung));
            return;
        }
        inFlight.remove(host);
        p.timeout.cancel(false);
        Settings s = settings.get();
        Duration ttl = addresses != null ? s.maxTtl() : s.nxdomainTtl();
        Entry old = cache.get(host);
        Entry e = new Entry(++answers, addresses, error, nanoClock.getAsLong() + ttl.toNanos());
        if (addresses != null && old != null && old.addresses != null) {
            // Go on in turn: with one dead address of several, a fresh lookup after its failed connect would
            // otherwise start again at the dead one, every time.
            e.next = old.next % addresses.length;
        }
        if (ttl.isZero()) {
            cache.remove(host);
        } else {
            cache.put(host, e);
        }
        for (Consumer<Resolved> waiter : p.waiters) {
            answer(e, waiter);
        }
    }

    /**
     * The lookup took longer than the limit: its waiters fail, and the next resolve starts a fresh lookup. Nothing
     * is cached (the name may resolve at once next time). A thread still in the lookup counts as hung, and another
     * is started in its place so that other names are still looked up.
     */
    private void timedOut(String host, Pending p) {
        if (inFlight.get(host) != p) {
            return; // answered just now
        }
        inFlight.remove(host);
        p.timedOut = true;
        if (!p.taken.compareAndSet(false, true)) {
            hung++;
            threads.setCorePoolSize(Math.min(MAX_THREADS, THREADS + hung));
        }
        for (Consumer<Resolved> waiter : p.waiters) {
            waiter.accept(new Resolved(null, "timed out after " + p.limit.toMillis() + " ms", 0));
        }
    }

    private static void answer(Entry e, Consumer<Resolved> done) {
        if (e.addresses == null) {
            done.accept(new Resolved(null, e.error, e.id));
        } else {
            InetAddress a = e.addresses[e.next];
            e.next = (e.next + 1) % e.addresses.length;
            done.accept(new Resolved(a, null, e.id));
        }
    }

    /**
     * The answers used in turn: those of the first answer's family. {@code localhost} is commonly both 127.0.0.1
     * and ::1 while PostgreSQL listens on one of them; alternating families would fail every other connect.
     */
    static InetAddress[] sameFamilyAsFirst(InetAddress[] all) {
        if (all.length == 0) {
            return all;
        }
        Class<?> family = all[0].getClass();
        return java.util.Arrays.stream(all).filter(a -> a.getClass() == family).toArray(InetAddress[]::new);
    }

    private static InetAddress literal(String host) {
        try {
            return InetAddress.getByAddress(host, NetUtil.createByteArrayFromIpAddressString(host));
        } catch (UnknownHostException impossible) {
            throw new IllegalArgumentException(host, impossible);
        }
    }

    /** Names cached now: for tests. */
    int cachedNames() {
        return cache.size();
    }

    /** Threads left in a lookup that timed out: for tests. */
    int hungThreads() {
        return hung;
    }

    @Override
    public void close() {
        threads.shutdownNow();
    }
}

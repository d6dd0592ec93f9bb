package dev.poolctl.pooler.net;

import io.netty.channel.EventLoop;
import io.netty.util.NetUtil;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Server host names to addresses without blocking the event loop (PgBouncer's dns.c): the system resolver
 * ({@code getaddrinfo}: /etc/hosts, then DNS, as every other program on the host sees it) runs on two resolver
 * threads, and the answer comes back on the loop. Answers are cached for {@code dns_max_ttl}, failures for
 * {@code dns_nxdomain_ttl}; several addresses for one name are used in turn, as PgBouncer does (those of the first
 * answer's address family only). Concurrent
 * lookups of one name share one query, so a dead DNS server costs one stuck thread, not one per client.
 *
 * <p>Unlike PgBouncer, a failed connect to an address makes the next resolve of its name look it up again
 * ({@link #connectFailed}), so that a failover behind a DNS name ends quickly.
 *
 * <p>Every method but the constructor and {@link #close} runs on the loop: the cache needs no locks.
 */
public final class HostResolver implements AutoCloseable {
    /** The blocking lookup: {@link InetAddress#getAllByName} in production, a stub in tests. */
    @FunctionalInterface
    public interface Lookup {
        InetAddress[] lookup(String host) throws UnknownHostException;
    }

    /** {@code dns_max_ttl} and {@code dns_nxdomain_ttl}, read at each lookup so a RELOAD applies. */
    public record Ttls(Duration maxTtl, Duration nxdomainTtl) {}

    /**
     * One resolve's outcome: an address, or null and why not. {@code answer} names the cached answer the address
     * came from, for {@link #connectFailed}; 0 for an IP literal.
     */
    public record Resolved(InetAddress address, String error, long answer) {}

    /** Names waiting for a lookup at most; past this a lookup fails at once rather than queue without bound. */
    private static final int MAX_PENDING = 1024;

    private final EventLoop loop;
    private final Lookup lookup;
    private final Supplier<Ttls> ttls;
    private final LongSupplier nanoClock;
    private final ExecutorService threads;
    private final Map<String, Entry> cache = new HashMap<>();
    private final Map<String, List<Consumer<Resolved>>> inFlight = new HashMap<>();
    private long answers; // numbers the cached answers, for connectFailed

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

    public HostResolver(EventLoop loop, Lookup lookup, Supplier<Ttls> ttls, LongSupplier nanoClock) {
        this.loop = loop;
        this.lookup = lookup;
        this.ttls = ttls;
        this.nanoClock = nanoClock;
        threads = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(MAX_PENDING), r -> {
            Thread t = new Thread(r, "poolctl-dns");
            t.setDaemon(true); // a lookup stuck in the C library must not keep the process alive
            return t;
        });
    }

    public HostResolver(EventLoop loop, Supplier<Ttls> ttls) {
        this(loop, InetAddress::getAllByName, ttls, System::nanoTime);
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
        List<Consumer<Resolved>> waiting = inFlight.get(host);
        if (waiting != null) {
            waiting.add(done);
            return;
        }
        waiting = new ArrayList<>();
        waiting.add(done);
        inFlight.put(host, waiting);
        try {
            threads.execute(() -> {
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
                    loop.execute(() -> completed(host, a, why));
                } catch (RejectedExecutionException shuttingDown) {
                    // the loop is gone and with it everyone who waited
                }
            });
        } catch (RejectedExecutionException full) {
            inFlight.remove(host);
            done.accept(new Resolved(null, "too many DNS lookups pending", 0));
        }
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

    private void completed(String host, InetAddress[] addresses, String error) {
        Ttls t = ttls.get();
        Duration ttl = addresses != null ? t.maxTtl() : t.nxdomainTtl();
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
        for (Consumer<Resolved> waiter : inFlight.remove(host)) {
            answer(e, waiter);
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

    @Override
    public void close() {
        threads.shutdownNow();
    }
}

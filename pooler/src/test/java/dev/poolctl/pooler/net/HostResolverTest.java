package dev.poolctl.pooler.net;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.channel.DefaultEventLoop;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Host names resolved off the loop, answered on it, cached for dns_max_ttl / dns_nxdomain_ttl, looked up again after
 * a failed connect, and lookups that hang bounded. No DNS is sent. The TTLs run on the injected clock; the lookup
 * limit is a timer on the loop, so those tests set it short.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class HostResolverTest {
    private final DefaultEventLoop loop = new DefaultEventLoop();
    private final AtomicLong clock = new AtomicLong();
    private final AtomicInteger lookups = new AtomicInteger();
    private final CountDownLatch hung = new CountDownLatch(1);
    private Duration lookupTimeout = Duration.ofSeconds(15);
    private HostResolver resolver;

    @AfterEach
    void stop() {
        hung.countDown();
        if (resolver != null) {
            resolver.close();
        }
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** A lookup stuck in the C library: interrupts do not end it, only the end of the test. */
    private InetAddress[] hang() {
        boolean interrupted = false;
        while (true) {
            try {
                hung.await();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return new InetAddress[0];
    }

    private static InetAddress ip(String text) throws UnknownHostException {
        return InetAddress.getByName(text); // literals only: no lookup
    }

    private HostResolver resolver(HostResolver.Lookup lookup, int maxTtl, int nxTtl) {
        resolver = new HostResolver(loop, host -> {
            lookups.incrementAndGet();
            return lookup.lookup(host);
        }, () -> new HostResolver.Settings(Duration.ofSeconds(maxTtl), Duration.ofSeconds(nxTtl), lookupTimeout),
                clock::get);
        return resolver;
    }

    private static void await(CountDownLatch latch) throws UnknownHostException {
        try {
            latch.await(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            throw new UnknownHostException("interrupted");
        }
    }

    private record Answer(InetAddress address, String error, boolean onLoop, HostResolver.Resolved resolved) {}

    /** Calls resolve on the loop, as ServerConnector does, and returns what the callback got. */
    private CompletableFuture<Answer> resolve(String host) {
        CompletableFuture<Answer> answer = new CompletableFuture<>();
        loop.execute(() -> resolver.resolve(host, r -> answer.complete(
                new Answer(r.address(), r.error(), loop.inEventLoop(), r))));
        return answer;
    }

    /** What ServerConnector does when a connect to {@code a}'s address fails. */
    private void connectFailed(String host, Answer a) throws Exception {
        loop.submit(() -> resolver.connectFailed(host, a.resolved())).get(5, TimeUnit.SECONDS);
    }

    private int hungThreads() throws Exception {
        return loop.submit(() -> resolver.hungThreads()).get(5, TimeUnit.SECONDS);
    }

    private void awaitHungThreads(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (hungThreads() != n) {
            assertTrue(System.nanoTime() < deadline, "hung threads: " + hungThreads() + ", expected " + n);
            Thread.sleep(10);
        }
    }

    private Answer get(String host) throws Exception {
        return resolve(host).get(10, TimeUnit.SECONDS);
    }

    @Test
    void aSlowLookupDoesNotHoldTheLoopAndIsAnsweredOnIt() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        resolver(host -> {
            await(release);
            return new InetAddress[] {ip("127.0.0.1")};
        }, 15, 15);
        CompletableFuture<Answer> slow = resolve("db.example");
        // The loop runs other work while the lookup waits.
        assertEquals("served", loop.submit(() -> "served").get(2, TimeUnit.SECONDS));
        assertTrue(!slow.isDone());
        release.countDown();
        Answer a = slow.get(10, TimeUnit.SECONDS);
        assertEquals(ip("127.0.0.1"), a.address());
        assertTrue(a.onLoop(), "answered on the loop");
    }

    @Test
    void answersAreCachedForDnsMaxTtl() throws Exception {
        resolver(host -> new InetAddress[] {ip("127.0.0.1")}, 15, 5);
        get("db.example");
        get("db.example");
        assertEquals(1, lookups.get());
        clock.addAndGet(TimeUnit.SECONDS.toNanos(14));
        get("db.example");
        assertEquals(1, lookups.get(), "still within dns_max_ttl");
        clock.addAndGet(TimeUnit.SECONDS.toNanos(2));
        get("db.example");
        assertEquals(2, lookups.get(), "looked up again after dns_max_ttl");
    }

    @Test
    void failuresAreCachedForDnsNxdomainTtl() throws Exception {
        resolver(host -> {
            throw new UnknownHostException(host);
        }, 15, 5);
        Answer a = get("nosuchhost.invalid");
        assertNull(a.address());
        assertEquals("unknown host", a.error());
        get("nosuchhost.invalid");
        assertEquals(1, lookups.get());
        clock.addAndGet(TimeUnit.SECONDS.toNanos(6));
        get("nosuchhost.invalid");
        assertEquals(2, lookups.get(), "a failure is kept for dns_nxdomain_ttl, not dns_max_ttl");
    }

    @Test
    void zeroTtlMeansNoCache() throws Exception {
        resolver(host -> new InetAddress[] {ip("127.0.0.1")}, 0, 0);
        get("db.example");
        get("db.example");
        assertEquals(2, lookups.get());
    }

    @Test
    void concurrentLookupsOfOneNameShareOneQuery() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        resolver(host -> {
            await(release);
            return new InetAddress[] {ip("127.0.0.1")};
        }, 15, 15);
        List<CompletableFuture<Answer>> waiting = List.of(resolve("db.example"), resolve("db.example"), resolve("db.example"));
        loop.submit(() -> null).get(5, TimeUnit.SECONDS); // all three asked
        release.countDown();
        for (CompletableFuture<Answer> w : waiting) {
            assertEquals(ip("127.0.0.1"), w.get(10, TimeUnit.SECONDS).address());
        }
        assertEquals(1, lookups.get());
    }

    @Test
    void severalAddressesAreUsedInTurnWithinTheFirstOnesFamily() throws Exception {
        resolver(host -> new InetAddress[] {ip("127.0.0.1"), ip("::1"), ip("127.0.0.2")}, 15, 15);
        assertEquals(ip("127.0.0.1"), get("db.example").address());
        assertEquals(ip("127.0.0.2"), get("db.example").address());
        assertEquals(ip("127.0.0.1"), get("db.example").address());
        assertArrayEquals(new InetAddress[] {ip("::1")}, HostResolver.sameFamilyAsFirst(new InetAddress[] {ip("::1"), ip("10.0.0.1")}));
    }

    @Test
    void ipLiteralsNeedNoLookup() throws Exception {
        resolver(host -> {
            throw new AssertionError("no lookup for a literal");
        }, 15, 15);
        assertEquals(ip("127.0.0.1"), get("127.0.0.1").address());
        assertEquals(ip("::1"), get("::1").address());
        assertEquals(0, lookups.get());
    }

    @Test
    void aFailedConnectMakesTheNextResolveLookTheNameUpAgain() throws Exception {
        AtomicInteger n = new AtomicInteger();
        // The failover: the name moves from a dead address to a live one while dns_max_ttl still holds the old.
        resolver(host -> new InetAddress[] {ip(n.getAndIncrement() == 0 ? "127.0.0.3" : "127.0.0.1")}, 60, 15);
        Answer dead = get("db.example");
        assertEquals(ip("127.0.0.3"), dead.address());
        assertEquals(ip("127.0.0.3"), get("db.example").address(), "cached while connects work");
        connectFailed("db.example", dead);
        assertEquals(ip("127.0.0.1"), get("db.example").address(), "looked up again, not after 60 s");
        assertEquals(2, lookups.get());
    }

    @Test
    void failuresFromAnOlderAnswerDoNotForgetTheNewOne() throws Exception {
        resolver(host -> new InetAddress[] {ip("127.0.0.3")}, 60, 15);
        // Ten connects from one answer, all failing: one new lookup.
        List<Answer> flood = new java.util.ArrayList<>();
        for (int i = 0; i < 10; i++) {
            flood.add(get("db.example"));
        }
        connectFailed("db.example", flood.get(0));
        Answer fresh = get("db.example");
        assertEquals(2, lookups.get());
        for (Answer a : flood) {
            connectFailed("db.example", a); // the same address, but from the answer already forgotten
        }
        get("db.example");
        get("db.example");
        assertEquals(2, lookups.get(), "late failures of the old answer's connects change nothing");
        connectFailed("db.example", fresh);
        get("db.example");
        assertEquals(3, lookups.get(), "a failure from the current answer does");
    }

    @Test
    void aFailedConnectToALiteralLooksNothingUp() throws Exception {
        resolver(host -> {
            throw new AssertionError("no lookup for a literal");
        }, 15, 15);
        Answer a = get("127.0.0.3");
        connectFailed("127.0.0.3", a);
        assertEquals(ip("127.0.0.3"), get("127.0.0.3").address());
        assertEquals(0, lookups.get());
    }

    @Test
    void afterAFailedConnectTheAddressesAreStillUsedInTurn() throws Exception {
        // One of two addresses dead: the fresh lookup must not start at the dead one again, every time.
        resolver(host -> new InetAddress[] {ip("127.0.0.3"), ip("127.0.0.1")}, 60, 15);
        Answer dead = get("db.example");
        assertEquals(ip("127.0.0.3"), dead.address());
        connectFailed("db.example", dead);
        assertEquals(ip("127.0.0.1"), get("db.example").address());
        assertEquals(2, lookups.get());
    }

    @Test
    void aHungLookupFailsItsWaitersAndTheNextResolveLooksUpAgain() throws Exception {
        lookupTimeout = Duration.ofMillis(200);
        AtomicInteger n = new AtomicInteger();
        resolver(host -> n.getAndIncrement() == 0 ? hang() : new InetAddress[] {ip("127.0.0.1")}, 15, 15);
        long t0 = System.nanoTime();
        List<CompletableFuture<Answer>> waiting = List.of(resolve("db.example"), resolve("db.example"));
        for (CompletableFuture<Answer> w : waiting) {
            Answer a = w.get(10, TimeUnit.SECONDS);
            assertNull(a.address());
            assertEquals("timed out after 200 ms", a.error());
            assertTrue(a.onLoop());
        }
        assertTrue(System.nanoTime() - t0 >= TimeUnit.MILLISECONDS.toNanos(200), "not before the limit");
        assertEquals(1, hungThreads());
        assertEquals(ip("127.0.0.1"), get("db.example").address(), "a fresh lookup, not the hung one joined");
        assertEquals(2, lookups.get());
        hung.countDown();
        awaitHungThreads(0);
        assertEquals(ip("127.0.0.1"), get("db.example").address(), "the late answer changed nothing");
        assertEquals(2, lookups.get());
    }

    @Test
    void aLookupAnsweredInTimeIsNotTimedOut() throws Exception {
        lookupTimeout = Duration.ofMillis(100);
        resolver(host -> new InetAddress[] {ip("127.0.0.1")}, 0, 0);
        assertEquals(ip("127.0.0.1"), get("db.example").address());
        Thread.sleep(300); // past the limit: the cancelled timer must not count a thread as hung
        assertEquals(0, hungThreads());
        assertEquals(ip("127.0.0.1"), get("db.example").address());
    }

    @Test
    void hungThreadsAreReplacedUpToABoundThenResolvingFailsAtOnce() throws Exception {
        lookupTimeout = Duration.ofMillis(100);
        resolver(host -> host.startsWith("hang") ? hang() : new InetAddress[] {ip("127.0.0.1")}, 0, 0);
        for (int i = 0; i < HostResolver.MAX_THREADS; i++) {
            assertEquals("timed out after 100 ms", get("hang" + i).error());
            assertEquals(i + 1, hungThreads());
            // Each hung thread has a replacement: other names are still looked up, at once.
            if (i + 1 < HostResolver.MAX_THREADS) {
                assertEquals(ip("127.0.0.1"), get("db.example").address(), "with " + (i + 1) + " hung");
            }
        }
        int before = lookups.get();
        Answer refused = get("db.example");
        assertNull(refused.address());
        assertEquals("all " + HostResolver.MAX_THREADS + " resolver threads are stuck in lookups that timed out",
                refused.error());
        assertEquals(before, lookups.get(), "no lookup queued behind threads that never return");
        hung.countDown();
        awaitHungThreads(0);
        assertEquals(ip("127.0.0.1"), get("db.example").address());
    }

    @Test
    void aLookupThatTimesOutWhileQueuedLeavesNoThreadHung() throws Exception {
        lookupTimeout = Duration.ofMillis(200);
        resolver(host -> host.startsWith("hang") ? hang() : new InetAddress[] {ip("127.0.0.1")}, 0, 0);
        CompletableFuture<Answer> first = resolve("hang1");
        CompletableFuture<Answer> second = resolve("hang2");
        CompletableFuture<Answer> queued = resolve("db.example"); // both threads are in hung lookups
        assertEquals("timed out after 200 ms", first.get(10, TimeUnit.SECONDS).error());
        assertEquals("timed out after 200 ms", second.get(10, TimeUnit.SECONDS).error());
        Answer q = queued.get(10, TimeUnit.SECONDS);
        // Its limit ends right after theirs; a replacement thread may or may not have run it first.
        assertTrue(q.address() != null || "timed out after 200 ms".equals(q.error()), String.valueOf(q));
        awaitHungThreads(2);
        assertEquals(ip("127.0.0.1"), get("db.example").address());
    }

    @Test
    void noLookupLimitConfiguredMeansTheDefault() {
        assertEquals(Duration.ofSeconds(15), HostResolver.lookupLimit(Duration.ZERO));
        assertEquals(Duration.ofSeconds(3), HostResolver.lookupLimit(Duration.ofSeconds(3)));
    }
}

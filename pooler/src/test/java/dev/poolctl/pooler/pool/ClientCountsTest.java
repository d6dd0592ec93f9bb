package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** max_db_client_connections' and max_user_client_connections' counts, shared by the event loops. */
class ClientCountsTest {
    @Test
    void countsUpToTheLimitAndRefusesWithoutCounting() {
        ClientCounts counts = new ClientCounts();
        assertEquals(1, counts.take("db", 2, false));
        assertEquals(2, counts.take("db", 2, false), "the last allowed client");
        assertEquals(-1, counts.take("db", 2, false), "one more is refused");
        assertEquals(2, counts.count("db"), "and not counted");
        assertEquals(1, counts.take("other", 2, false), "names are counted apart");
        counts.gone("db");
        assertEquals(2, counts.take("db", 2, false), "a place given back serves the next");
    }

    @Test
    void noLimitAndExemptClientsAreCountedAnyway() {
        ClientCounts counts = new ClientCounts();
        for (int i = 1; i <= 5; i++) {
            assertEquals(i, counts.take("u", 0, false), "0 = no limit, still counted (SHOW columns)");
        }
        assertEquals(6, counts.take("u", -1, false), "below 0 is no limit too, as PgBouncer's <= 0");
        assertEquals(-1, counts.take("u", 3, false));
        assertEquals(7, counts.take("u", 3, true), "an exempt client (admin_users on the console) passes and counts");
    }

    @Test
    void aNameWhoseCountReturnsToZeroIsForgotten() {
        ClientCounts counts = new ClientCounts();
        counts.take("x", 0, false);
        counts.gone("x");
        counts.gone("x"); // never below zero, whatever a caller does
        assertEquals(0, counts.count("x"));
        assertEquals(1, counts.take("x", 1, false));
    }

    @Test
    void checkAndCountAreOneStepUnderRacingThreads() throws Exception {
        ClientCounts counts = new ClientCounts();
        AtomicInteger taken = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread thread = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 1000; i++) {
                    if (counts.take("db", 100, false) > 0) {
                        taken.incrementAndGet();
                    }
                }
            });
            thread.start();
            threads.add(thread);
        }
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(100, taken.get(), "exactly the limit, however the threads interleave");
        assertEquals(100, counts.count("db"));
    }
}

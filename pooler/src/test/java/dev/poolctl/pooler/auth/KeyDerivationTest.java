package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class KeyDerivationTest {

    @Test
    void aCancelledDerivationStopsAndFreesItsWorker() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Future<?> huge = KeyDerivation.submit(() -> {
            started.countDown();
            try {
                ScramCrypto.hi("pw".getBytes(StandardCharsets.UTF_8), new byte[16], 999_999_999);
            } catch (CancellationException expected) {
                stopped.countDown();
            }
        });
        assertTrue(started.await(10, TimeUnit.SECONDS));
        huge.cancel(true);
        assertTrue(stopped.await(10, TimeUnit.SECONDS), "the derivation saw the interrupt and stopped");
        Future<?> next = KeyDerivation.submit(() -> { });
        next.get(10, TimeUnit.SECONDS); // the worker is free again
    }

    @Test
    void anInterruptedThreadDoesNotDerive() {
        Thread.currentThread().interrupt();
        try {
            assertThrows(CancellationException.class,
                    () -> ScramCrypto.hi("pw".getBytes(StandardCharsets.UTF_8), new byte[16], 100_000));
        } finally {
            Thread.interrupted();
        }
    }
}

package dev.poolctl.pooler;

import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One connection attacks the pooler while an ordinary client keeps running {@code SELECT 1}: the ordinary client's
 * latency stays under 100 ms. Each attack is one that froze or slowed the single event loop before the hardening
 * work (a backtracking console regex, key derivation per SCRAM attempt, a nested buffer per trickled startup byte,
 * console answers piling up for a client that never reads). The attacks run from this JVM, on the same two cores
 * as the pooler and PostgreSQL, so the bound is on the 95th percentile; a frozen loop fails it by seconds.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = SECONDS)
class AttackLatencyIT {
    private static final Duration ATTACK = Duration.ofSeconds(4);
    /**
     * A frozen loop fails it by seconds. 100 ms proved too tight: on this VM, with the tests' paranoid leak
     * detection recording a stack trace per buffer, the unread-console-answers attack alone gives a p95 of
     * 60-250 ms on the code both before and after the core restructuring (issue 11).
     */
    private static final long LIMIT_MILLIS = 500;

    private static PostgresCluster pg;

    /** An attack step, repeated on its own threads until the attack's time is up. */
    @FunctionalInterface
    private interface AttackStep {
        void run(PoolerFixture f) throws Exception;
    }

    @Test
    void consoleCommandsThatBacktrackedDoNotFreezeOthers() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("stats_users", PostgresCluster.MD5_USER))) {
            assertServedWhile(f, 1, pooler -> {
                try (RawClient c = RawClient.connect(pooler)) {
                    c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "pgbouncer");
                    for (int n : new int[] {30, 40, 1000, 50_000}) {
                        List<RawClient.Message> answer = c.simpleQuery("SHOW \"" + "a".repeat(n));
                        assertTrue(answer.get(0).isError(), "an unterminated quoted word is a syntax error");
                    }
                }
            });
        }
    }

    @Test
    void scramFloodDoesNotSlowOthers() throws Exception {
        // A plaintext password in auth_file: each SCRAM attempt needed the key derived (4096 HMAC rounds).
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings().set("auth_type", "scram-sha-256"))) {
            assertServedWhile(f, 1, pooler -> {
                for (String user : List.of(PostgresCluster.CLEARTEXT_USER, "no_such_user")) {
                    failedScramLogin(pooler, user);
                }
            }, PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD);
        }
    }

    @Test
    void trickledStartupPacketsDoNotSlowOthers() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings())) {
            assertServedWhile(f, 1, pooler -> {
                // A startup packet near the size limit, one byte per write: every byte is its own read.
                Map<String, String> params = new LinkedHashMap<>();
                params.put("user", PostgresCluster.MD5_USER);
                params.put("database", PostgresCluster.TEST_DB);
                params.put("application_name", "x".repeat(3000));
                byte[] packet = RawClient.startupPacket(params);
                try (RawClient c = RawClient.connect(pooler)) {
                    OutputStream out = c.socket().getOutputStream();
                    for (byte b : packet) {
                        out.write(b);
                        out.flush();
                    }
                    RawClient.Message m = c.read();
                    assertEquals('R', m.type(), "the trickled startup packet is answered: " + m);
                }
            });
        }
    }

    @Test
    void pipelinedUnreadConsoleAnswersDoNotSlowOthers() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("stats_users", PostgresCluster.MD5_USER))) {
            assertServedWhile(f, 1, pooler -> {
                try (RawClient c = RawClient.connect(pooler)) {
                    c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "pgbouncer");
                    c.socket().setSoTimeout(200);
                    byte[] batch = repeat(RawClient.query("SHOW CONFIG"), 1000);
                    long end = System.nanoTime() + ATTACK.toNanos();
                    closeAt(c.socket(), end);
                    try {
                        // Never reads: the pooler must stop reading too instead of queueing answers.
                        while (System.nanoTime() < end) {
                            c.send(batch);
                        }
                    } catch (IOException blocked) {
                        // A send blocks once both socket buffers are full (the pooler pushing back) until closeAt.
                    }
                }
            });
        }
    }

    // ---- the measurement ----

    private static void assertServedWhile(PoolerFixture f, int threads, AttackStep step) throws Exception {
        assertServedWhile(f, threads, step, PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
    }

    /**
     * Runs {@code step} on {@code threads} threads, again and again for {@link #ATTACK}, while an ordinary client
     * (logged in before the attack) runs {@code SELECT 1} every 10 ms; asserts the attack ran and the client's
     * 95th percentile latency stayed under {@link #LIMIT_MILLIS}.
     */
    private static void assertServedWhile(PoolerFixture f, int threads, AttackStep step, String user, String password)
            throws Exception {
        ExecutorService attackers = Executors.newFixedThreadPool(threads);
        AtomicLong attacks = new AtomicLong();
        List<Long> latencies = new ArrayList<>();
        try (Connection victim = f.connect(PostgresCluster.TEST_DB, user, password, "socketTimeout=10");
             Statement st = victim.createStatement()) {
            selectOne(st); // logged in and a server linked once before the attack starts
            long end = System.nanoTime() + ATTACK.toNanos();
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                running.add(attackers.submit(() -> {
                    while (System.nanoTime() < end) {
                        step.run(f);
                        attacks.incrementAndGet();
                    }
                    return null;
                }));
            }
            while (System.nanoTime() < end) {
                long start = System.nanoTime();
                selectOne(st);
                latencies.add((System.nanoTime() - start) / 1_000_000);
                Thread.sleep(10);
            }
            for (Future<?> r : running) {
                r.get(30, SECONDS); // an attack step that failed (not the pooler's refusal) fails the test
            }
        } finally {
            attackers.shutdownNow();
        }
        assertTrue(attacks.get() > 0, "the attack ran at least once");
        Collections.sort(latencies);
        long p50 = latencies.get(latencies.size() / 2);
        long p95 = latencies.get((int) Math.min(latencies.size() - 1, Math.round(latencies.size() * 0.95)));
        long max = latencies.get(latencies.size() - 1);
        String summary = latencies.size() + " queries during " + attacks.get() + " attack steps: p50 " + p50
                + " ms, p95 " + p95 + " ms, max " + max + " ms";
        System.out.println(summary);
        assertTrue(latencies.size() >= 20, "the ordinary client was served: " + summary);
        assertTrue(p95 < LIMIT_MILLIS, summary);
    }

    private static void selectOne(Statement st) throws SQLException {
        try (ResultSet rs = st.executeQuery("SELECT 1")) {
            assertTrue(rs.next());
            assertEquals(1, rs.getInt(1));
        }
    }

    // ---- attack helpers ----

    /** A SCRAM-SHA-256 exchange with a wrong proof; the pooler must answer it with an error, never log it in. */
    private static void failedScramLogin(PoolerFixture f, String user) throws IOException {
        try (RawClient c = RawClient.connect(f)) {
            c.send(RawClient.startupPacket(user, PostgresCluster.TEST_DB));
            RawClient.Message sasl = c.read();
            assertEquals('R', sasl.type(), "a SASL request: " + sasl);
            assertEquals(10, sasl.authCode(), "AuthenticationSASL for " + user);
            String clientNonce = "attacker-nonce-0123456789";
            String clientFirstBare = "n=,r=" + clientNonce;
            c.send(saslInitialResponse("n,," + clientFirstBare));
            RawClient.Message first = c.read();
            if (first.type() == 'E') {
                return; // refused at once is fine too
            }
            assertEquals(11, first.authCode(), "AuthenticationSASLContinue: " + first);
            String serverFirst = new String(first.body(), 4, first.body().length - 4, StandardCharsets.UTF_8);
            String nonce = serverFirst.substring(2, serverFirst.indexOf(','));
            String proof = Base64.getEncoder().encodeToString(new byte[32]);
            c.send(RawClient.message('p', ("c=biws,r=" + nonce + ",p=" + proof).getBytes(StandardCharsets.UTF_8)));
            RawClient.Message verdict = c.read();
            assertEquals('E', verdict.type(), "a wrong proof is refused: " + verdict);
        }
    }

    private static byte[] saslInitialResponse(String clientFirst) {
        byte[] data = clientFirst.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.writeBytes("SCRAM-SHA-256".getBytes(StandardCharsets.US_ASCII));
        b.write(0);
        b.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        b.writeBytes(data);
        return RawClient.message('p', b.toByteArray());
    }

    private static byte[] repeat(byte[] message, int times) {
        ByteArrayOutputStream b = new ByteArrayOutputStream(message.length * times);
        for (int i = 0; i < times; i++) {
            b.writeBytes(message);
        }
        return b.toByteArray();
    }

    /** Closes {@code socket} at {@code endNanos}: a blocked write of the attacker ends with it. */
    private static void closeAt(Socket socket, long endNanos) {
        Thread closer = new Thread(() -> {
            try {
                Thread.sleep(Math.max(0, (endNanos - System.nanoTime()) / 1_000_000));
                socket.close();
            } catch (InterruptedException | IOException e) {
                Thread.currentThread().interrupt();
            }
        }, "attack-closer");
        closer.setDaemon(true);
        closer.start();
    }
}

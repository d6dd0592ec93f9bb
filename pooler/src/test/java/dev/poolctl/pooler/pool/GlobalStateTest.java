package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What the event loops share: global limits, ids, statement names, cancel keys, the loop of each database. */
class GlobalStateTest {
    private static final String DBS = "db = host=127.0.0.1 port=5432\ndb2 = host=127.0.0.1 port=5432\n"
            + "db3 = host=127.0.0.1 port=5432\ndb4 = host=127.0.0.1 port=5432";

    /** Two loops of one process, as PoolerDaemon builds them. */
    private static PoolHarness[] twoLoops(String settings) {
        PoolerConfig config = PoolHarness.config(settings, DBS);
        GlobalState global = new GlobalState();
        return new PoolHarness[] {new PoolHarness(config, global), new PoolHarness(config, global)};
    }

    @Test
    void maxClientConnCountsTheClientsOfEveryLoop() {
        PoolHarness[] loops = twoLoops("max_client_conn = 3");
        List<FakeClient> in = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            FakeClient c = new FakeClient(i + 1, 0);
            assertTrue(loops[i % 2].manager.admitClient(c), "every socket is admitted and counted");
            in.add(c);
            assertFalse(loops[0].manager.overMaxClientConn(), "client " + i + " within max_client_conn");
        }
        FakeClient fourth = new FakeClient(9, 0);
        assertTrue(loops[1].manager.admitClient(fourth));
        assertEquals(4, loops[0].manager.clientCount());
        assertTrue(loops[0].manager.overMaxClientConn(), "the fourth is over the limit, seen from either loop");
        assertTrue(loops[1].manager.overMaxClientConn());
        loops[1].manager.clientClosed(fourth, true, null);
        assertFalse(loops[1].manager.overMaxClientConn(), "its refusal gives its count back");
        loops[0].manager.clientClosed(in.get(0), true, null);
        FakeClient next = new FakeClient(11, 0);
        assertTrue(loops[1].manager.admitClient(next));
        assertFalse(loops[1].manager.overMaxClientConn(), "a slot freed on one loop serves the other");
    }

    @Test
    void admissionIsExactUnderRacingThreads() throws Exception {
        GlobalState global = new GlobalState();
        AtomicInteger admitted = new AtomicInteger();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int i = 0; i < 10_000; i++) {
                    global.clientConnected();
                    if (i % 2 == 0) {
                        global.clientGone();
                    }
                    if (global.takeUserServer("u", 50)) {
                        admitted.addAndGet(1_000_000);
                    }
                }
            });
            th.start();
            threads.add(th);
        }
        go.countDown();
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(50_000_000, admitted.get(), "exactly 50 servers, never one more");
        assertEquals(20_000, global.clientCount(), "no client count lost: 4 threads x 5 000 still connected");
        assertEquals(50, global.userServers("u"));
    }

    @Test
    void aDatabaseBelongsToOneLoopAndDifferentDatabasesSpread() {
        PoolHarness[] loops = twoLoops("");
        GlobalState global = loops[0].manager.global();
        assertEquals(0, loops[0].manager.index());
        assertEquals(1, loops[1].manager.index());
        assertSame(global.managerFor("db"), global.managerFor("db"));
        long distinct = List.of("db", "db2", "db3", "db4").stream().map(global::managerFor).distinct().count();
        assertEquals(2, distinct, "four databases land on both loops");
    }

    @Test
    void idsAndStatementNamesAreUniqueOverLoops() {
        PoolHarness[] loops = twoLoops("");
        assertNotEquals(loops[0].manager.nextId(), loops[1].manager.nextId());
        String a = loops[0].manager.statementRegistry().acquire("select 1".getBytes()).name();
        String b = loops[1].manager.statementRegistry().acquire("select 1".getBytes()).name();
        assertNotEquals(a, b, "the same text prepared on two loops gets two PGBOUNCER_n names");
        assertNotSame(loops[0].manager.statementRegistry(), loops[1].manager.statementRegistry());
    }

    @Test
    void aCancelKeyIssuedOnOneLoopIsFoundFromTheOther() {
        PoolHarness[] loops = twoLoops("pool_mode = transaction");
        Pool pool = loops[1].pool("db", "u");
        FakeClient c = loops[1].idleClient(pool);
        int pid = loops[1].manager.newCancelKey(c);
        int secret = loops[1].manager.cancelSecret(c);
        FakeServer s = (FakeServer) loops[1].serve(c);
        boolean[] closed = new boolean[1];
        loops[0].manager.cancel(pid, secret, () -> closed[0] = true);
        assertEquals(List.of(s), loops[1].launcher.cancels, "forwarded to the server of the client's loop");
        assertFalse(closed[0], "the requester stays open until PostgreSQL has acted on the cancel");
        loops[0].manager.cancel(pid, secret + 1, () -> closed[0] = true);
        assertTrue(closed[0], "a wrong key is closed at once");
    }

    @Test
    void maxUserConnectionsIsGlobalAndAnIdleServerOnAnotherLoopIsEvictedForAWaiter() {
        PoolHarness[] loops = twoLoops("pool_mode = transaction\nmax_user_connections = 1\ndefault_pool_size = 5");
        Pool onFirst = loops[0].pool("db", "u");
        Pool onSecond = loops[1].pool("db2", "u");
        FakeClient a = loops[0].idleClient(onFirst);
        FakeServer held = (FakeServer) loops[0].serve(a);
        FakeClient b = loops[1].login(onSecond);
        assertEquals(ClientState.LOGIN_WAIT, b.state());
        assertEquals(0, loops[1].launcher.countFor(onSecond), "the user's one server is on the other loop");
        loops[1].janitor();
        assertEquals(0, loops[1].launcher.countFor(onSecond), "the server is busy: nothing to evict");

        loops[0].finish(held); // released: idle on the first loop
        loops[1].janitor();
        assertEquals(ServerState.CLOSED, held.state(), "the other loop's idle server was closed for the waiter");
        assertEquals(1, loops[1].launcher.countFor(onSecond), "and the waiting pool opened its own");
        assertEquals(1, loops[0].manager.global().userServers("u"), "never more than max_user_connections");
        assertNull(a.failure, "the client whose server was evicted keeps its session");
    }
}

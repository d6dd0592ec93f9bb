package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The console's PAUSE, RESUME, SUSPEND, KILL and RECONNECT, and auto-databases, as the pools see them. */
class PoolControlTest {
    private static final String TWO_DBS = "db = host=127.0.0.1 port=5432\ndb2 = host=127.0.0.1 port=5432";

    @Test
    void pauseClosesIdleServersAtOnceAndBusyOnesAtReleaseAndClientsQueueUntilResume() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        FakeServer busy = (FakeServer) h.serve(a);
        FakeServer idle = (FakeServer) h.serve(b);
        h.finish(idle);

        h.manager.pause(null);
        assertEquals("pause mode", idle.closeReason, "idle servers go at once");
        assertEquals(ServerState.ACTIVE, busy.state(), "a server in use finishes its transaction");
        assertFalse(h.manager.quiesced(null));
        assertNull(h.request(b), "no server is handed out while paused");
        assertEquals(ClientState.WAITING, b.state());
        assertEquals(2, h.launcher.countFor(pool), "and none is launched");

        h.finish(busy);
        assertEquals("pause mode", busy.closeReason, "released: closed, not given to the waiting client");
        assertEquals(ClientState.IDLE, a.state());
        assertTrue(h.manager.quiesced(null), "PAUSE has taken effect");
        FakeClient late = h.idleClient(pool);
        assertEquals(ClientState.IDLE, late.state(), "logging in still works: the welcome is known");
        assertNull(h.request(late));
        h.clock.advance(Duration.ofSeconds(10));
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "the janitor launches nothing either");

        h.manager.resume(null);
        assertEquals(4, h.launcher.countFor(pool), "RESUME serves the queue: a server for each of the two waiters");
        FakeServer first = h.launcher.launched.get(2);
        FakeServer second = h.launcher.launched.get(3);
        pool.serverLoggedIn(first);
        assertSame(first, b.server, "first come, first served");
        assertEquals(ClientState.WAITING, late.state());
        pool.serverLoggedIn(second);
        assertSame(second, late.server);
    }

    @Test
    void pauseOfOneDatabaseLeavesTheOthersAlone() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction", TWO_DBS);
        Pool p1 = h.pool("db", "u");
        Pool p2 = h.pool("db2", "u");
        FakeClient c1 = h.idleClient(p1);
        FakeClient c2 = h.idleClient(p2);
        FakeServer s1 = h.launcher.lastFor(p1);
        FakeServer s2 = h.launcher.lastFor(p2);
        h.manager.pause("db");
        assertEquals(ServerState.CLOSED, s1.state());
        assertEquals(ServerState.IDLE, s2.state());
        assertSame(s2, h.request(c2), "db2 is served as before");
        assertNull(h.request(c1));
        h.manager.resume("db");
        h.loginAll(p1);
        assertEquals(ClientState.ACTIVE, c1.state());
    }

    @Test
    void killFailsTheDatabasesClientsClosesItsServersAndKeepsItPausedUntilResume() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 1", TWO_DBS);
        Pool p1 = h.pool("db", "u");
        Pool p2 = h.pool("db2", "u");
        FakeClient active = h.idleClient(p1);
        FakeClient waiting = h.idleClient(p1);
        FakeClient idle = h.idleClient(p1);
        FakeServer s1 = (FakeServer) h.serve(active);
        assertNull(h.request(waiting));
        FakeClient other = h.idleClient(p2);
        FakeServer s2 = (FakeServer) h.serve(other);

        h.manager.kill("db");
        for (FakeClient c : new FakeClient[] {active, waiting, idle}) {
            assertEquals("admin forced disconnect", c.failure, c + ": every client of db, whatever its state");
        }
        assertEquals("admin forced disconnect", s1.closeReason);
        assertNull(other.failure, "db2 is not touched");
        assertEquals(ServerState.ACTIVE, s2.state());
        h.closeFailed();
        assertEquals(0, p1.clientCount());
        assertEquals(0, p1.serverCount());

        assertTrue(h.manager.isPaused("db"));
        assertFalse(h.manager.isPaused("db2"));
        FakeClient after = h.idleClient(p1);
        assertEquals(ClientState.IDLE, after.state(), "new clients may log in...");
        assertNull(h.request(after), "...but they wait");
        h.janitor();
        assertEquals(1, h.launcher.countFor(p1), "nothing is launched for a killed database");
        h.manager.resume("db");
        assertEquals(2, h.launcher.countFor(p1));
        h.loginAll(p1);
        assertEquals(ClientState.ACTIVE, after.state());
    }

    @Test
    void killClientFailsOnlyThatClient() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        FakeClient loggingIn = new FakeClient(100, h.clock.nanoTime());
        h.manager.admitClient(loggingIn);
        assertTrue(h.manager.killClient(b.id));
        assertEquals("admin forced disconnect", b.failure);
        assertNull(a.failure);
        assertTrue(h.manager.killClient(100), "clients still logging in too");
        assertEquals("admin forced disconnect", loggingIn.failure);
        assertFalse(h.manager.killClient(12345), "no such client");
    }

    @Test
    void suspendStopsEveryClientAndServerSocketAndResumeRestartsThem() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction", TWO_DBS);
        Pool p1 = h.pool("db", "u");
        Pool p2 = h.pool("db2", "u");
        FakeClient c1 = h.idleClient(p1);
        FakeClient c2 = h.idleClient(p2);
        FakeClient c3 = h.idleClient(p2);
        FakeServer s1 = (FakeServer) h.serve(c1);
        FakeServer s2 = h.launcher.lastFor(p2);

        h.manager.suspend();
        assertEquals(PoolManager.PauseMode.SUSPEND, h.manager.pauseMode());
        for (FakeClient c : new FakeClient[] {c1, c2, c3}) {
            assertTrue(c.suspended, c + " suspended");
        }
        assertTrue(s1.suspended && s2.suspended, "active and idle servers alike");
        assertEquals(ServerState.IDLE, s2.state(), "SUSPEND closes nothing");
        assertNull(h.request(c2), "and hands out nothing");

        h.manager.resume(null);
        assertEquals(PoolManager.PauseMode.NONE, h.manager.pauseMode());
        for (FakeClient c : new FakeClient[] {c1, c2, c3}) {
            assertFalse(c.suspended, c + " reads again");
        }
        assertFalse(s1.suspended || s2.suspended);
        assertSame(s2, c2.server, "the queued client gets the idle server");
    }

    @Test
    void reconnectClosesIdleServersNowAndBusyOnesWhenReleased() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 3", TWO_DBS);
        Pool pool = h.pool("db", "u");
        Pool other = h.pool("db2", "u");
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        FakeClient c = h.idleClient(pool);
        FakeServer busy = (FakeServer) h.serve(a);
        FakeServer idle = (FakeServer) h.serve(b);
        assertNull(h.request(c));
        FakeServer loggingIn = h.launcher.lastFor(pool);
        h.finish(idle); // to c, the first waiter
        h.finish(idle); // then idle
        assertEquals(ServerState.LOGIN, loggingIn.state());
        assertEquals(ServerState.IDLE, idle.state());
        h.idleClient(other);
        FakeServer otherServer = h.launcher.lastFor(other);

        h.manager.reconnect("db");
        assertEquals("database configuration changed", idle.closeReason, "idle: closed at once");
        assertTrue(busy.closeNeeded && loggingIn.closeNeeded);
        assertEquals(ServerState.ACTIVE, busy.state(), "the transaction is not cut");
        assertFalse(otherServer.closeNeeded, "db2 is not reconnected");
        assertEquals(ServerState.IDLE, otherServer.state());
        assertFalse(h.manager.closeNeededGone("db"));
        assertTrue(h.manager.closeNeededGone("db2"));

        h.finish(busy);
        assertEquals("server marked close_needed", busy.closeReason, "released: closed, not idled");
        assertEquals(ClientState.IDLE, a.state());
        pool.serverLoggedIn(loggingIn);
        assertEquals(ServerState.CLOSED, loggingIn.state(), "connected with the old settings: never used");
        assertTrue(h.manager.closeNeededGone("db"), "WAIT_CLOSE would return now");

        assertNull(h.request(b), "no server left");
        h.loginAll(pool);
        assertEquals(ClientState.ACTIVE, b.state(), "a fresh server");
        assertFalse(((FakeServer) b.server).closeNeeded);
        assertEquals(4, h.launcher.countFor(pool));
    }

    @Test
    void reloadWithASmallerPoolSizeClosesIdleServersAboveItAndAChangedConnectStringClosesAll() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 3");
        Pool pool = h.pool();
        FakeClient[] c = {h.idleClient(pool), h.idleClient(pool), h.idleClient(pool)};
        for (FakeClient client : c) {
            h.serve(client);
        }
        FakeServer busy = (FakeServer) c[0].server;
        h.finish(c[1].server);
        h.finish(c[2].server);
        h.manager.apply(PoolHarness.config("pool_mode = transaction\ndefault_pool_size = 1",
                "db = host=127.0.0.1 port=5432"), h.manager.userlist());
        h.janitor();
        assertEquals(0, pool.idleCount(), "3 servers for a pool of 1: the idle ones go");
        assertEquals(List.of("too many servers in the pool", "too many servers in the pool"),
                h.servers(pool, ServerState.CLOSED).stream().map(s -> s.closeReason).toList());
        assertEquals(ServerState.ACTIVE, busy.state(), "the busy one stays");
        assertFalse(busy.closeNeeded, "same connect string: it may be reused");

        h.manager.apply(PoolHarness.config("pool_mode = transaction\ndefault_pool_size = 1",
                "db = host=127.0.0.1 port=5433"), h.manager.userlist());
        assertTrue(busy.closeNeeded, "another port: every server goes once released");
        h.finish(busy);
        assertEquals(ServerState.CLOSED, busy.state());
        assertNull(h.request(c[0]));
        assertEquals(5433, h.launcher.lastFor(pool).login.port(), "new servers use the new entry");
    }

    @Test
    void autoDatabasesAreDroppedAfterAutodbIdleTimeoutWhenUnused() {
        PoolHarness h = PoolHarness.withDatabases("autodb_idle_timeout = 10",
                "db = host=127.0.0.1 port=5432\n* = host=127.0.0.1 port=5432");
        Pool unused = h.pool("foo", "u");
        Pool used = h.pool("bar", "u");
        Pool named = h.pool("db", "u");
        FakeClient gone = h.idleClient(unused);
        h.idleClient(used);
        h.disconnect(gone);
        h.launcher.lastFor(unused).crash();
        assertEquals(0, unused.clientCount() + unused.serverCount());

        h.janitor();
        h.clock.advance(Duration.ofSeconds(9));
        h.janitor();
        assertTrue(h.manager.poolKeys().contains(unused.key()), "unused for 9 s");
        h.clock.advance(Duration.ofSeconds(2));
        h.janitor();
        assertFalse(h.manager.poolKeys().contains(unused.key()), "unused for 11 s: dropped");
        assertTrue(h.manager.poolKeys().contains(used.key()), "an auto-database with a client stays");
        assertTrue(h.manager.poolKeys().contains(named.key()), "a database with its own entry is never dropped");

        Pool again = h.pool("foo", "u");
        assertTrue(again != unused, "a client naming it again gets a new pool");
        FakeClient back = h.idleClient(again);
        assertEquals(ClientState.IDLE, back.state());
    }

    @Test
    void anAutoDatabaseInUseAgainIsNotDroppedByItsEarlierIdleTime() {
        PoolHarness h = PoolHarness.withDatabases("autodb_idle_timeout = 10", "* = host=127.0.0.1 port=5432");
        Pool pool = h.pool("foo", "u");
        h.janitor(); // unused from now
        h.clock.advance(Duration.ofSeconds(8));
        FakeClient c = h.idleClient(pool);
        h.janitor();
        h.disconnect(c);
        h.launcher.lastFor(pool).crash();
        h.clock.advance(Duration.ofSeconds(5));
        h.janitor();
        assertTrue(h.manager.poolKeys().contains(pool.key()), "13 s since first unused, but in use in between");
        h.clock.advance(Duration.ofSeconds(9));
        h.janitor();
        assertTrue(h.manager.poolKeys().contains(pool.key()), "unused again for 9 s");
        h.clock.advance(Duration.ofSeconds(2));
        h.janitor();
        assertFalse(h.manager.poolKeys().contains(pool.key()));
    }
}

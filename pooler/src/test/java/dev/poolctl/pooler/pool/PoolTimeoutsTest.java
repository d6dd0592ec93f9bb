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

/** What the janitor does as time passes: server and client timeouts, login retry, min_pool_size. */
class PoolTimeoutsTest {

    private static void advance(PoolHarness h, long seconds) {
        h.clock.advance(Duration.ofSeconds(seconds));
    }

    // ---- servers ----

    @Test
    void serverLifetimeClosesIdleServersAtTheJanitor() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2\nserver_lifetime = 60");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        FakeServer s1 = (FakeServer) h.serve(a);
        advance(h, 30);
        FakeServer s2 = (FakeServer) h.serve(b);
        h.finish(s1);
        h.finish(s2);
        advance(h, 25);
        h.janitor();
        assertEquals(2, pool.idleCount(), "55 s and 25 s old: both within server_lifetime");
        advance(h, 10);
        h.janitor();
        assertEquals(ServerState.CLOSED, s1.state(), "65 s old, idle: closed without being handed out");
        assertEquals("server lifetime over", s1.closeReason);
        assertEquals(ServerState.IDLE, s2.state());
        advance(h, 30);
        h.janitor();
        assertEquals("server lifetime over", s2.closeReason);
        assertEquals(0, pool.serverCount());
        assertEquals(2, h.launcher.countFor(pool), "no client waits: nothing is launched in their place");
    }

    @Test
    void aDatabasesOwnServerLifetimeBeatsTheGeneralOne() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_lifetime = 3600",
                "host=127.0.0.1 port=5432 server_lifetime=30");
        Pool pool = h.pool();
        FakeServer s = (FakeServer) h.serve(h.idleClient(pool));
        h.finish(s);
        advance(h, 31);
        h.janitor();
        assertEquals("server lifetime over", s.closeReason);
    }

    @Test
    void serverIdleTimeoutClosesServersUnusedForThatLong() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 3\nserver_idle_timeout = 10");
        Pool pool = h.pool();
        FakeClient[] c = {h.idleClient(pool), h.idleClient(pool), h.idleClient(pool)};
        FakeServer[] s = new FakeServer[3];
        for (int i = 0; i < 3; i++) {
            s[i] = (FakeServer) h.serve(c[i]);
        }
        h.finish(s[0]);
        h.finish(s[1]);
        advance(h, 5);
        h.finish(s[2]); // idle since t=5
        advance(h, 6);
        FakeClient busy = h.idleClient(pool);
        assertSame(s[2], h.serve(busy), "the most recently released");
        advance(h, 20);
        h.janitor();
        assertEquals("server idle timeout", s[0].closeReason);
        assertEquals("server idle timeout", s[1].closeReason);
        assertEquals(ServerState.ACTIVE, s[2].state(), "a server in use is never idle-timed-out");
        h.finish(s[2]);
        advance(h, 9);
        h.janitor();
        assertEquals(ServerState.IDLE, s[2].state(), "idle 9 s since its release");
        advance(h, 2);
        h.janitor();
        assertEquals(ServerState.CLOSED, s[2].state());
    }

    @Test
    void serverIdleTimeoutKeepsMinPoolSizeServers() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 3\nserver_idle_timeout = 10\n"
                + "min_pool_size = 2");
        Pool pool = h.pool();
        FakeClient[] c = {h.idleClient(pool), h.idleClient(pool), h.idleClient(pool)};
        for (FakeClient client : c) {
            h.serve(client);
        }
        for (FakeClient client : c) {
            h.finish(client.server);
        }
        advance(h, 11);
        h.janitor();
        assertEquals(2, pool.serverCount(), "idle past the timeout, but min_pool_size keeps two");
        assertEquals(2, pool.idleCount());
        assertEquals(3, h.launcher.countFor(pool), "and none is closed just to be launched again");
    }

    @Test
    void serverConnectTimeoutClosesALoginServerAndRetriesAfterABackoff() {
        PoolHarness h = new PoolHarness("server_connect_timeout = 5\nserver_login_retry = 15");
        Pool pool = h.pool();
        FakeClient c = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        advance(h, 4);
        h.janitor();
        assertEquals(ServerState.LOGIN, s1.state(), "4 s: still connecting");
        advance(h, 2);
        h.janitor();
        assertEquals(ServerState.CLOSED, s1.state());
        assertEquals("connect timeout", s1.closeReason);
        assertEquals(1, h.launcher.countFor(pool), "no new attempt before server_login_retry");
        assertEquals(ClientState.LOGIN_WAIT, c.state(), "the waiting client keeps waiting");

        FakeClient late = h.login(pool);
        assertTrue(late.failure != null && late.failure.contains("server connect timeout"),
                "a new client gets the cached error at once: " + late.failure);
        h.disconnect(late);
        // A connect that times out means PostgreSQL is not accepting: the retry backs off from 100 ms, not 15 s.
        h.clock.advance(Duration.ofMillis(90));
        h.janitor();
        assertEquals(1, h.launcher.countFor(pool), "90 ms since the failure");
        h.clock.advance(Duration.ofMillis(10));
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "the backoff passed: one new attempt for the waiter");
        h.loginAll(pool);
        assertEquals(ClientState.IDLE, c.state());
        assertNull(c.failure);
    }

    @Test
    void aFailedServerLoginFailsTheLoginWaitersAndCachesTheErrorUntilTheRetryTime() {
        PoolHarness h = new PoolHarness("server_login_retry = 15");
        Pool pool = h.pool();
        FakeClient c1 = h.login(pool);
        FakeClient c2 = h.login(pool);
        assertEquals(1, h.launcher.countFor(pool), "one login attempt for all the waiters");
        FakeServer s1 = h.launcher.lastFor(pool);
        pool.serverLoginFailed(s1, "28P01", null, "password authentication failed for user \"u\"");
        s1.crash();
        assertEquals("password authentication failed for user \"u\"", c1.failure);
        assertEquals(c1.failure, c2.failure);
        h.disconnect(c1);
        h.disconnect(c2);

        advance(h, 10);
        FakeClient c3 = h.login(pool);
        assertTrue(c3.failure != null && c3.failure.contains("password authentication failed")
                && c3.failure.contains("server_login_retry"), "the cached error, at once: " + c3.failure);
        assertEquals(1, h.launcher.countFor(pool), "no new login attempt within server_login_retry");
        h.disconnect(c3);
        h.janitor();
        assertEquals(1, h.launcher.countFor(pool));

        advance(h, 6);
        FakeClient c4 = h.login(pool);
        assertNull(c4.failure, "16 s later: tried again");
        assertEquals(2, h.launcher.countFor(pool));
        h.loginAll(pool);
        assertEquals(ClientState.IDLE, c4.state());
        assertTrue(c4.welcome != null && c4.welcome.has("server_version"));
    }

    @Test
    void aServerLoginErrorFailsTheQueuedClientsWhenNoServerIsUsableButNotStartingUpOrAFailedConnect() {
        for (String[] error : new String[][] {{"28000", "role \"u\" is not permitted to log in", "fails"},
                {"57P03", "the database system is starting up", "waits"},
                {"08006", "server connect failed", "waits"}}) {
            PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_login_retry = 0");
            Pool pool = h.pool();
            FakeClient c = h.idleClient(pool); // the pool has its welcome: later clients log in at once
            FakeServer first = (FakeServer) h.serve(c);
            h.finish(first);
            first.crash(); // PostgreSQL ended the backend (pg_terminate_backend)
            assertEquals(0, pool.serverCount());

            h.request(c); // queued; a new server is launched for it
            assertEquals(ClientState.WAITING, c.state());
            FakeServer next = h.launcher.lastFor(pool);
            pool.serverLoginFailed(next, error[0], null, error[1]);
            if (error[2].equals("fails")) {
                assertEquals(error[1], c.failure, "the server's own error, as PgBouncer's kill_pool_logins");
            } else {
                assertNull(c.failure, error[0] + ": the client keeps waiting for a retry");
                assertEquals(ClientState.WAITING, c.state());
            }
        }
    }

    @Test
    void aServerLoginErrorLeavesQueuedClientsAloneWhileAnotherServerIsUsable() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2");
        Pool pool = h.pool();
        FakeClient a = h.idleClient(pool);
        FakeClient b = h.idleClient(pool);
        h.serve(a); // a holds the one logged-in server
        h.request(b); // b queues, and a second server is launched
        FakeServer second = h.launcher.lastFor(pool);
        pool.serverLoginFailed(second, "53300", null, "sorry, too many clients already");
        assertNull(b.failure, "a's server will be released to b");
        assertEquals(ClientState.WAITING, b.state());
    }

    // ---- min_pool_size ----

    @Test
    void minPoolSizeFillsAForcedUserPoolWithoutClients() {
        PoolHarness h = new PoolHarness("min_pool_size = 2", "host=127.0.0.1 port=5432 user=u");
        Pool pool = h.pool();
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "a forced user: min_pool_size applies without clients");
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "servers still logging in count");
        h.loginAll(pool);
        assertEquals(2, pool.idleCount());
        h.launcher.lastFor(pool).crash();
        h.janitor();
        assertEquals(3, h.launcher.countFor(pool), "one lost: one launched");
    }

    /** PgBouncer's janitor makes the pool itself (test_min_pool_size): no client has ever named the database. */
    @Test
    void aForcedUserPoolWithMinPoolSizeIsMadeByTheJanitorWithoutAnyClient() {
        PoolHarness h = PoolHarness.withDatabases("", "db = host=127.0.0.1 port=5432 user=u min_pool_size=3\n"
                + "plain = host=127.0.0.1 port=5432 min_pool_size=3\nother = host=127.0.0.1 port=5432 user=u");
        assertEquals(0, h.manager.pools().size());
        h.janitor();
        assertEquals(1, h.manager.pools().size(), "only the forced-user database with min_pool_size: " + h.manager.pools());
        Pool pool = h.manager.pools().iterator().next();
        assertEquals("db", pool.key().database());
        assertEquals("u", pool.key().user());
        assertEquals(3, h.launcher.countFor(pool));
    }

    @Test
    void minPoolSizeNeedsAClientWithoutAForcedUserAndIsCappedByPoolSize() {
        PoolHarness h = new PoolHarness("min_pool_size = 5\ndefault_pool_size = 3");
        Pool pool = h.pool();
        h.janitor();
        assertEquals(0, h.launcher.countFor(pool), "no forced user, no client: min_pool_size does not apply");
        FakeClient c = h.idleClient(pool);
        h.janitor();
        assertEquals(3, h.launcher.countFor(pool), "min_pool_size 5 is capped by pool_size 3");
        h.loginAll(pool);
        h.disconnect(c);
        h.launcher.lastFor(pool).crash();
        h.janitor();
        assertEquals(3, h.launcher.countFor(pool), "the client is gone: nothing is refilled");
        assertEquals(2, pool.serverCount());
    }

    @Test
    void minPoolSizeLaunchesNothingWhilePausedOrShuttingDown() {
        PoolHarness h = new PoolHarness("min_pool_size = 2", "host=127.0.0.1 port=5432 user=u");
        Pool pool = h.pool();
        h.manager.pause(null);
        h.janitor();
        assertEquals(0, h.launcher.countFor(pool), "PAUSE");
        h.manager.resume(null);
        h.manager.pause(PoolHarness.DB);
        h.janitor();
        assertEquals(0, h.launcher.countFor(pool), "PAUSE db");
        h.manager.resume(PoolHarness.DB);
        h.manager.suspend();
        h.janitor();
        assertEquals(0, h.launcher.countFor(pool), "SUSPEND");
        h.manager.resume(null);
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "resumed");

        PoolHarness down = new PoolHarness("min_pool_size = 2", "host=127.0.0.1 port=5432 user=u");
        Pool downPool = down.pool();
        down.manager.shutdown("test");
        down.janitor();
        assertEquals(0, down.launcher.countFor(downPool), "shutting down");
    }

    // ---- clients ----

    @Test
    void clientIdleTimeoutClosesOnlyIdleClientsWithoutAServer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nclient_idle_timeout = 10");
        Pool pool = h.pool();
        FakeClient idle = h.idleClient(pool);
        FakeClient linked = h.idleClient(pool);
        FakeClient recent = h.idleClient(pool);
        h.serve(linked);
        advance(h, 11);
        recent.lastActivityNanos = h.clock.nanoTime() - Duration.ofSeconds(5).toNanos();
        h.janitor();
        assertEquals("client_idle_timeout", idle.failure);
        assertNull(linked.failure, "a client with a server is not idle");
        assertNull(recent.failure, "sent something 5 s ago");
    }

    @Test
    void clientLoginTimeoutFailsClientsWaitingForTheServerLoginAsServerDown() {
        PoolHarness h = new PoolHarness("client_login_timeout = 10\nserver_connect_timeout = 0");
        Pool pool = h.pool();
        FakeClient waiting = h.login(pool);
        FakeClient authenticating = new FakeClient(100, h.clock.nanoTime());
        h.manager.admitClient(authenticating);
        h.manager.authenticating(authenticating);
        advance(h, 9);
        h.janitor();
        assertNull(waiting.failure);
        assertNull(authenticating.failure);
        advance(h, 2);
        FakeClient newer = h.login(pool);
        h.janitor();
        assertEquals("client_login_timeout (server down)", waiting.failure);
        assertEquals("client_login_timeout", authenticating.failure, "still authenticating: no server involved");
        assertNull(newer.failure, "connected just now");
    }

    /** PgBouncer's waiting_client_list holds queued clients and clients waiting for the first server login. */
    @Test
    void queryTimeoutAndQueryWaitTimeoutApplyToEveryClientWithoutAServer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nquery_timeout = 30\n"
                + "query_wait_timeout = 10\nclient_login_timeout = 60\nserver_connect_timeout = 0");
        Pool pool = h.pool();
        FakeClient loginWaiter = h.login(pool); // the first server never logs in: waits for its welcome
        advance(h, 11);
        h.janitor();
        assertEquals("query_wait_timeout", loginWaiter.failure, "waiting 11 s for the server login");

        PoolHarness q = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nquery_timeout = 5\n"
                + "query_wait_timeout = 10");
        Pool qp = q.pool();
        FakeClient holder = q.idleClient(qp);
        FakeClient queued = q.idleClient(qp);
        q.request(holder);
        q.request(queued);
        advance(q, 6);
        q.janitor();
        assertEquals("query_timeout", queued.failure, "query_timeout counts for a queued query too, before "
                + "query_wait_timeout");
    }

    @Test
    void queryTimeoutAndIdleTransactionTimeoutFailTheClientAndCloseItsServer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2\nquery_timeout = 5\n"
                + "idle_transaction_timeout = 20");
        Pool pool = h.pool();
        FakeClient slowQuery = h.idleClient(pool);
        FakeClient idleInTx = h.idleClient(pool);
        FakeServer s1 = (FakeServer) h.serve(slowQuery);
        FakeServer s2 = (FakeServer) h.serve(idleInTx);
        s1.pending = 1;
        s2.txStatus = 'T';
        advance(h, 6);
        h.janitor();
        assertEquals("query timeout", slowQuery.failure);
        assertEquals("query timeout", s1.closeReason);
        assertNull(idleInTx.failure);
        advance(h, 15);
        h.janitor();
        assertEquals("idle transaction timeout", idleInTx.failure);
        assertEquals("idle transaction timeout", s2.closeReason);
        assertEquals(List.of(), h.servers(pool, ServerState.ACTIVE));
    }

    /** The verbose setting applies (ini, RELOAD, SET), never below the -v flags the process started with. */
    @Test
    void theVerboseSettingTurnsDebugLinesOnAndOffAboveTheFlags() {
        PoolHarness h = new PoolHarness("verbose = 1");
        assertTrue(h.manager.log().debugEnabled(), "verbose = 1 in the ini");
        h.manager.apply(PoolHarness.config("verbose = 0", "db = host=127.0.0.1"), h.manager.userlist());
        assertFalse(h.manager.log().debugEnabled(), "SET/RELOAD verbose = 0");
        dev.poolctl.pooler.log.PoolerLog started = new dev.poolctl.pooler.log.PoolerLog(false, 1); // poolctl start -v
        started.verboseSetting(0);
        assertTrue(started.debugEnabled(), "the -v flag is the floor");
        started.close();
    }
}

package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Failed server logins: in the TLS negotiation (PgBouncer's disconnect_server in SV_LOGIN, no kill_pool_logins), on
 * a host of a list (the next is tried at once), while PostgreSQL is not accepting (a short backoff) and with an
 * answer from PostgreSQL (server_login_retry).
 */
class LoginRetryTest {
    private static final String WHY = "TLS handshake failed: certificate verify failed: unable to find valid"
            + " certification path";

    @Test
    void theWaitersKeepWaitingNewcomersGetTheCachedReasonAndTheRetryComesAfterServerLoginRetry() {
        PoolHarness h = new PoolHarness("server_login_retry = 15");
        Pool pool = h.pool();
        FakeClient waiter = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        LoginRetry.failedBeforeLogin(pool, s1, WHY);
        s1.crash();
        assertEquals(ClientState.LOGIN_WAIT, waiter.state(), "not failed: it waits for the retry");
        assertNull(waiter.failure);

        FakeClient late = h.login(pool);
        assertTrue(late.failure != null && late.failure.contains("cached error: " + WHY), String.valueOf(late.failure));
        h.disconnect(late);

        h.clock.advance(Duration.ofSeconds(16));
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "server_login_retry passed: a new attempt for the waiter");
        h.loginAll(pool);
        assertEquals(ClientState.IDLE, waiter.state());
    }

    @Test
    void changedServerTlsSettingsDropTheCachedReason() {
        PoolHarness h = new PoolHarness("server_login_retry = 15");
        Pool pool = h.pool();
        FakeClient first = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        LoginRetry.failedBeforeLogin(pool, s1, WHY);
        s1.crash();
        h.disconnect(first);

        LoginRetry.forgetErrors(h.manager);
        assertEquals(WHY, pool.welcome().failedSinceLogin(), "/readyz still sees no login since the failure");
        FakeClient next = h.login(pool);
        assertNull(next.failure, "tried with the new settings at once");
        assertEquals(2, h.launcher.countFor(pool));
        h.loginAll(pool);
        assertNull(pool.welcome().failedSinceLogin(), "a login succeeded since");
        assertTrue(pool.welcome().everLoggedIn());
    }

    @Test
    void aServerThePoolClosedDuringItsHandshakeCachesNothing() {
        PoolHarness h = new PoolHarness("server_login_retry = 15\nserver_connect_timeout = 5");
        Pool pool = h.pool();
        FakeClient first = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        pool.disconnect(s1, "client close request");
        assertEquals(ServerState.CLOSED, s1.state());
        LoginRetry.failedBeforeLogin(pool, s1, "TLS handshake failed: ClosedChannelException");
        h.disconnect(first);
        FakeClient next = h.login(pool);
        assertNull(next.failure, "no cached error from a handshake the pool cut short");
    }

    @Test
    void aHostThatRefusesIsSkippedForTheNextAtOnce() {
        PoolHarness h = new PoolHarness("server_login_retry = 15", "host=a,b load_balance_hosts=disable");
        Pool pool = h.pool();
        FakeClient waiter = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        assertEquals("a", s1.host());
        pool.serverLoginFailed(s1, "08006", null, "connect failed: Connection refused");
        s1.crash();
        FakeClient late = h.login(pool);
        assertNull(late.failure, "no cached error while b is left to try");
        h.janitor();
        FakeServer s2 = h.launcher.lastFor(pool);
        assertEquals("b", s2.host(), "the next host, without waiting for server_login_retry");
        h.loginAll(pool);
        assertEquals(ClientState.IDLE, waiter.state());
        assertEquals("b", pool.hosts().pick(pool.database()), "disable: b is used until it fails");
    }

    @Test
    void whilePostgresIsNotAcceptingTheRetryBacksOffFrom100MsTo500Ms() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_login_retry = 15");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool); // the pool has its welcome: a restart finds clients queued, not logging in
        FakeServer first = (FakeServer) h.serve(c);
        h.finish(first);
        first.crash(); // PostgreSQL restarts
        h.request(c);
        long[] expectedWaits = {100, 200, 400, 500, 500};
        for (long wait : expectedWaits) {
            FakeServer s = h.launcher.lastFor(pool);
            pool.serverLoginFailed(s, "57P03", null, "the database system is starting up");
            s.crash();
            long attempts = h.launcher.countFor(pool);
            h.clock.advance(Duration.ofMillis(wait - 10));
            h.janitor();
            assertEquals(attempts, h.launcher.countFor(pool), "no attempt before " + wait + " ms");
            h.clock.advance(Duration.ofMillis(10));
            h.janitor();
            assertEquals(attempts + 1, h.launcher.countFor(pool), "an attempt after " + wait + " ms");
        }
        assertEquals(ClientState.WAITING, c.state(), "the queued client was never failed");
        h.loginAll(pool);
        assertEquals(ClientState.ACTIVE, c.state(), "served by the first server that logged in");
        long now = h.clock.nanoTime();
        pool.welcome().loginFailed("connect failed", now, true); // the next outage starts at 100 ms again
        assertTrue(pool.welcome().loginFailingRecently(now + 99_000_000L, 15_000_000_000L));
        assertTrue(!pool.welcome().loginFailingRecently(now + 100_000_000L, 15_000_000_000L));
    }

    /** As PgBouncer's last_connect_failed: without it the pool reconnected at once, thousands of times a second. */
    @Test
    void aServerThatClosesDuringItsLoginIsRetriedAfterTheBackoffNotAtOnce() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_login_retry = 15");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer first = (FakeServer) h.serve(c);
        h.finish(first);
        first.crash();
        h.request(c);
        FakeServer s = h.launcher.lastFor(pool);
        assertEquals(ServerState.LOGIN, s.state());
        long attempts = h.launcher.countFor(pool);
        LoginRetry.closedDuringLogin(pool, s); // accepted, then closed without a word (ServerConnection)
        s.crash();
        assertEquals(attempts, h.launcher.countFor(pool), "no new attempt at once");
        h.clock.advance(Duration.ofMillis(100));
        h.janitor();
        assertEquals(attempts + 1, h.launcher.countFor(pool), "an attempt after the first backoff");
        assertEquals(ClientState.WAITING, c.state(), "the queued client waits for it");
        assertNull(c.failure);

        FakeServer closedByThePool = h.launcher.lastFor(pool);
        pool.disconnect(closedByThePool, "connect timeout");
        LoginRetry.closedDuringLogin(pool, closedByThePool);
        assertTrue(!pool.welcome().loginFailingRecently(h.clock.nanoTime() + 100_000_000L, 15_000_000_000L),
                "a login the pool cut short is not counted twice: the backoff stays at its first step");
    }

    @Test
    void anAnswerFromPostgresStillWaitsServerLoginRetry() {
        PoolHarness h = new PoolHarness("server_login_retry = 15");
        Pool pool = h.pool();
        FakeClient first = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        pool.serverLoginFailed(s1, "28P01", null, "password authentication failed for user \"u\"");
        s1.crash();
        assertTrue(first.failure != null, "told at once (kill_pool_logins)");
        h.clock.advance(Duration.ofSeconds(2));
        FakeClient late = h.login(pool);
        assertTrue(late.failure != null && late.failure.contains("cached error"), String.valueOf(late.failure));
        assertEquals(1, h.launcher.countFor(pool), "no new attempt within server_login_retry");
    }

    /**
     * PgBouncer's kill_pool_logins counts a server RECONNECT marked (close when released) as unusable: a refused
     * login fails the queued clients at once though that server is still linked (test_change_server_password_reconnect).
     */
    @Test
    void aRefusedLoginFailsTheQueueWhenTheOnlyConnectedServerIsMarkedToClose() {
        for (boolean reconnect : new boolean[] {false, true}) {
            PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2\nserver_login_retry = 15");
            Pool pool = h.pool();
            FakeClient busy = h.idleClient(pool);
            FakeServer linked = (FakeServer) h.serve(busy);
            if (reconnect) {
                linked.markCloseNeeded();
            }
            FakeClient queued = h.idleClient(pool);
            h.request(queued);
            FakeServer second = h.launcher.lastFor(pool);
            assertEquals(ServerState.LOGIN, second.state());
            pool.serverLoginFailed(second, "28P01", null, "password authentication failed for user \"u\"");
            second.crash();
            if (reconnect) {
                assertTrue(queued.failure != null && queued.failure.contains("password authentication failed"),
                        String.valueOf(queued.failure));
            } else {
                assertNull(queued.failure, "a usable server is linked: the queued client waits for it");
                assertEquals(ClientState.WAITING, queued.state());
            }
        }
    }

    /**
     * PgBouncer keeps the clients of a pool's first login waiting when the connect fails (test_server_login_retry):
     * the next attempt serves them; one arriving in between gets the cached error at once.
     */
    @Test
    void aRefusedConnectKeepsTheFirstLoginsClientWaitingForTheNextAttempt() {
        PoolHarness h = new PoolHarness("server_login_retry = 3");
        Pool pool = h.pool();
        FakeClient waiter = h.login(pool);
        FakeServer s1 = h.launcher.lastFor(pool);
        pool.serverLoginFailed(s1, "08006", null, "server connection failed: Connection refused");
        s1.crash();
        assertNull(waiter.failure, "a failed connect is not the server's answer: the client waits");
        assertEquals(ClientState.LOGIN_WAIT, waiter.state());
        FakeClient late = h.login(pool);
        assertTrue(late.failure != null && late.failure.contains("cached error: server connection failed"),
                String.valueOf(late.failure));
        h.clock.advance(Duration.ofMillis(150));
        h.janitor();
        assertEquals(2, h.launcher.countFor(pool), "the next attempt after the first backoff");
        h.loginAll(pool);
        assertEquals(ClientState.IDLE, waiter.state(), "served by it");
    }
}

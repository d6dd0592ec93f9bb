package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** SHOW WAITS' causes from a pool's real state, on a fake clock and fake servers. */
class WaitCauseTest {
    private static WaitCause why(Pool pool) {
        return WaitCause.of(pool);
    }

    @Test
    void poolSizeThenTheReservePoolThenItsExhaustion() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nreserve_pool_size = 1\n"
                + "reserve_pool_timeout = 3");
        Pool pool = h.pool();
        PoolHarness.FakeClient first = h.idleClient(pool);
        h.serve(first);
        assertNull(why(pool), "nobody waits");
        PoolHarness.FakeClient second = h.idleClient(pool);
        h.request(second);
        WaitCause full = why(pool);
        assertEquals(WaitCause.POOL_SIZE, full.cause());
        assertTrue(full.detail().startsWith("servers 1 of pool_size 1; reserve_pool (1) opens once a client has waited"
                + " reserve_pool_timeout (3 s)"), full.detail());
        PoolHarness.FakeClient third = h.idleClient(pool);
        h.request(third);
        h.clock.advance(Duration.ofSeconds(4));
        h.janitor();
        assertEquals(WaitCause.SERVER_LOGIN, why(pool).cause(), "the reserve server logs in");
        h.loginAll(pool);
        WaitCause exhausted = why(pool);
        assertEquals(WaitCause.RESERVE_POOL, exhausted.cause());
        assertEquals("servers 2: pool_size 1 and reserve_pool 1 all in use", exhausted.detail());
    }

    @Test
    void aFailingServerLoginNamesTheServersError() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nserver_login_retry = 15");
        Pool pool = h.pool();
        h.login(pool);
        assertEquals(WaitCause.SERVER_LOGIN, why(pool).cause(), "the first client waits for the first login");
        pool.serverLoginFailed(h.launcher.lastFor(pool), "28P01", null, "password authentication failed for user \"u\"");
        WaitCause failing = why(pool);
        assertEquals(WaitCause.SERVER_LOGIN_FAILING, failing.cause());
        assertEquals("no server login has succeeded since: password authentication failed for user \"u\" (tried again"
                + " every server_login_retry, 15 s)", failing.detail());
    }

    @Test
    void pauseAndSuspendComeFirst() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        h.serve(h.idleClient(pool));
        h.request(h.idleClient(pool));
        h.manager.pause(PoolHarness.DB);
        assertEquals(WaitCause.PAUSED, why(pool).cause());
        assertTrue(why(pool).detail().startsWith("PAUSE db "), why(pool).detail());
        h.manager.resume(PoolHarness.DB);
        h.manager.pause(null);
        assertEquals("PAUSE: servers are handed out again after RESUME", why(pool).detail());
        h.manager.resume(null);
        h.manager.suspend();
        assertEquals(WaitCause.SUSPENDED, why(pool).cause());
    }

    @Test
    void maxDbConnectionsCountsTheOtherUsersPools() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 5\nmax_db_connections = 1");
        Pool mine = h.pool();
        h.serve(h.idleClient(mine)); // the database's one server, busy
        Pool other = h.pool(PoolHarness.DB, "other");
        PoolHarness.FakeClient waiting = h.login(other);
        WaitCause why = why(other);
        assertEquals(WaitCause.MAX_DB_CONNECTIONS, why.cause(), why.toString());
        assertEquals("max_db_connections 1 reached by database db (the servers of every user's pool count)",
                why.detail());
        assertEquals(ClientState.LOGIN_WAIT, waiting.state());
    }

    @Test
    void maxUserConnectionsCountsEveryDatabase() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 5\n"
                + "max_user_connections = 1", "db = host=127.0.0.1\ndb2 = host=127.0.0.1");
        h.serve(h.idleClient(h.pool("db", PoolHarness.USER)));
        Pool second = h.pool("db2", PoolHarness.USER);
        h.login(second);
        WaitCause why = why(second);
        assertEquals(WaitCause.MAX_USER_CONNECTIONS, why.cause(), why.toString());
        assertEquals("max_user_connections 1 reached by user u (the servers of every database count)", why.detail());
    }
}

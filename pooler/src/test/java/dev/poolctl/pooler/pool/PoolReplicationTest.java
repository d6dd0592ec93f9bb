package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import org.junit.jupiter.api.Test;

/** Replication clients (ReplicationLinks): a server of their own, for life, counted in pool_size. */
class PoolReplicationTest {

    @Test
    void aReplicationClientGetsItsOwnServerForLifeEvenInTransactionMode() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 3");
        Pool pool = h.pool();
        FakeClient normal = h.idleClient(pool);
        FakeServer pooled = h.launcher.lastFor(pool);
        FakeClient r = h.replicationLogin(pool, Replication.LOGICAL);
        FakeServer own = h.launcher.lastFor(pool);
        assertNotSame(pooled, own, "not the idle pooled server: a new one");
        assertEquals("database", own.login.startupParameters().get("replication"));
        assertEquals(ClientState.LOGIN_WAIT, r.state());
        assertEquals(1, pool.idleCount(), "the idle server stays for normal clients");

        pool.serverLoggedIn(own);
        assertSame(own, r.server);
        assertSame(r, own.client);
        assertEquals(ClientState.ACTIVE, r.state());
        assertNotNull(r.welcome, "its welcome comes from its own server");
        h.finish(own);
        assertSame(own, r.server, "a ReadyForQuery does not release it, whatever the pool_mode");
        assertSame(pooled, h.serve(normal), "normal clients never get it");

        h.disconnect(r);
        assertEquals(ServerState.CLOSED, own.state());
        assertEquals("replication client was closed", own.closeReason);
        assertEquals(1, pool.serverCount());
    }

    @Test
    void aFullPoolEvictsAnIdleServerAndOtherwiseMakesItWait() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        h.idleClient(pool);
        FakeServer idle = h.launcher.lastFor(pool);
        FakeClient r1 = h.replicationLogin(pool, Replication.PHYSICAL);
        assertEquals("evicted", idle.closeReason, "PgBouncer's evict_pool_connection");
        FakeServer own1 = h.launcher.lastFor(pool);
        assertEquals("yes", own1.login.startupParameters().get("replication"));
        pool.serverLoggedIn(own1);

        FakeClient r2 = h.replicationLogin(pool, Replication.PHYSICAL);
        assertSame(own1, h.launcher.lastFor(pool), "pool_size 1 and its server is linked: nothing to evict");
        assertEquals(ClientState.LOGIN_WAIT, r2.state());
        h.disconnect(r1);
        FakeServer own2 = h.launcher.lastFor(pool);
        assertNotSame(own1, own2, "the slot freed goes to the waiting replication client");
        pool.serverLoggedIn(own2);
        assertSame(own2, r2.server);
    }

    @Test
    void aRefusedReplicationLoginFailsOnlyItsClient() {
        PoolHarness h = new PoolHarness("pool_mode = session");
        Pool pool = h.pool();
        FakeClient r = h.replicationLogin(pool, Replication.LOGICAL);
        FakeServer own = h.launcher.lastFor(pool);
        pool.serverLoginFailed(own, "42501", "FATAL", "must be superuser or replication role to start walsender");
        assertEquals("login failed", r.failure);
        assertEquals("login failed", own.closeReason);
        h.closeFailed();

        FakeClient normal = h.login(pool);
        assertNull(normal.failure, "no cached error for normal logins (server_login_retry)");
        FakeServer pooled = h.launcher.lastFor(pool);
        assertNotSame(own, pooled);
        pool.serverLoggedIn(pooled);
        assertEquals(ClientState.IDLE, normal.state());
    }

    @Test
    void aNormalLoginDoesNotWaitForAReplicationServerLoggingIn() {
        PoolHarness h = new PoolHarness("pool_mode = session");
        Pool pool = h.pool();
        FakeClient r = h.replicationLogin(pool, Replication.LOGICAL);
        FakeServer own = h.launcher.lastFor(pool);
        FakeClient normal = h.login(pool);
        FakeServer pooled = h.launcher.lastFor(pool);
        assertNotSame(own, pooled, "the pool's first login is a normal server's");
        pool.serverLoggedIn(own);
        assertEquals(ClientState.LOGIN_WAIT, normal.state(), "not the replication server's welcome");
        assertEquals(ClientState.ACTIVE, r.state());
        pool.serverLoggedIn(pooled);
        assertEquals(ClientState.IDLE, normal.state());
    }

    @Test
    void closeNeededReplicationServersGoAtOnceWithTheirClients() {
        PoolHarness h = new PoolHarness("pool_mode = session");
        Pool pool = h.pool();
        FakeClient r = h.replicationLogin(pool, Replication.LOGICAL);
        FakeServer own = h.launcher.lastFor(pool);
        pool.serverLoggedIn(own);
        own.pending = 1; // streaming: never at a transaction boundary
        h.janitor();
        assertNull(r.failure);
        own.markCloseNeeded(); // RECONNECT
        h.janitor();
        assertEquals("database configuration changed", r.failure);
        assertEquals(ServerState.CLOSED, own.state());
        assertFalse(own.open);
        assertTrue(pool.clients().isEmpty());
    }
}

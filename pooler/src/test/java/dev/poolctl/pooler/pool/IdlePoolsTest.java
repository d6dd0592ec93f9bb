package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** pool_idle_timeout (PgBouncer 1.26's cleanup_inactive_pools), on the injected clock. */
class IdlePoolsTest {
    @Test
    void aPoolWithNoClientAndNoServerIsFreedAfterPoolIdleTimeout() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\npool_idle_timeout = 10");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(c);
        h.finish(s);
        h.clock.advance(Duration.ofSeconds(30));
        h.janitor();
        assertTrue(h.manager.pools().contains(pool), "a client is connected: in use however long it idles");
        h.disconnect(c);
        h.clock.advance(Duration.ofSeconds(30));
        h.janitor();
        assertTrue(h.manager.pools().contains(pool), "an idle server keeps it");
        s.crash();
        h.janitor(); // first seen empty now
        h.clock.advance(Duration.ofSeconds(9));
        h.janitor();
        assertTrue(h.manager.pools().contains(pool), "empty for 9 s of 10");
        h.clock.advance(Duration.ofSeconds(2));
        h.janitor();
        assertEquals(0, h.manager.pools().size(), "freed after 11 s empty");
        assertTrue(h.pool() != pool, "a new client gets a new pool");
    }

    @Test
    void offByDefaultAndKeptForAForcedUserWithMinPoolSize() {
        PoolHarness off = new PoolHarness("pool_mode = transaction");
        Pool pool = off.pool();
        off.clock.advance(Duration.ofDays(1));
        off.janitor();
        assertTrue(off.manager.pools().contains(pool), "pool_idle_timeout = 0: kept");

        PoolHarness forced = new PoolHarness("pool_idle_timeout = 1\nserver_login_retry = 3600",
                "host=127.0.0.1 port=5432 user=u min_pool_size=2");
        Pool kept = forced.pool();
        for (FakeServer s : forced.launcher.launched) {
            s.crash(); // the backend is unreachable: the pool stays empty
        }
        forced.clock.advance(Duration.ofSeconds(5));
        forced.janitor();
        forced.clock.advance(Duration.ofSeconds(5));
        forced.janitor();
        assertTrue(forced.manager.pools().contains(kept), "the janitor would make it again at once");
    }
}

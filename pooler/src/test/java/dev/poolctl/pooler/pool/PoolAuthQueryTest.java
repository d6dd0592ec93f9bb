package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.poolctl.pooler.auth.Md5Password;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A login's auth_query in the auth_user's pool (PgBouncer: the client waits there like a request), and the secret
 * it returns used for the server logins of the client's own pool.
 */
class PoolAuthQueryTest {

    @Test
    void theQueryWaitsInTheQueueLikeARequestAndGivesItsServerBack() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1");
        Pool pool = h.pool();
        FakeClient busy = h.idleClient(pool);
        FakeServer only = (FakeServer) h.serve(busy);
        FakeClient login = h.authQuery(pool);
        assertEquals(ClientState.WAITING, login.state());
        assertEquals(1, pool.waitingCount(), "counted in cl_waiting, as PgBouncer counts it");
        assertEquals(2, pool.clientCount(), "and among the pool's clients (SHOW CLIENTS lists it there)");
        h.finish(only);
        assertSame(only, login.server, "served in turn");
        assertSame(login, only.client);
        assertEquals(ClientState.ACTIVE, login.state());
        // The answer came: the login leaves the pool (as AuthQueryClient does), the server is free again.
        h.manager.clientClosed(login, false, only);
        assertEquals(ClientState.CLOSED, login.state());
        assertEquals(ServerState.IDLE, only.state());
        assertEquals(0, pool.waitingCount());
        assertEquals(1, pool.clientCount(), "only the logged-in client is left");
    }

    @Test
    void aQueryThatWaitsTooLongFailsWithQueryWaitTimeout() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 1\nquery_wait_timeout = 5");
        Pool pool = h.pool();
        h.serve(h.idleClient(pool));
        FakeClient login = h.authQuery(pool);
        h.clock.advance(Duration.ofSeconds(6));
        h.janitor();
        assertEquals("query_wait_timeout", login.failure);
        assertEquals(0, pool.waitingCount());
    }

    @Test
    void aUserThatOnlyAuthQueryKnowsLogsInToTheServerWithTheFetchedSecret() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool pool = h.pool(PoolHarness.DB, "fetched_user");
        Secret fetched = Secret.of(Md5Password.encrypt("pw", "fetched_user"));
        byte[] key = {1, 2, 3};
        pool.credentials().remember(fetched, key, null);
        pool.credentials().remember(null, null, null); // a later login by auth_file keeps what is known
        FakeClient c = h.login(pool);
        FakeServer s = h.launcher.lastFor(pool);
        assertEquals(fetched, s.login.secret());
        assertSame(key, s.login.scramClientKey());
        assertEquals(ClientState.LOGIN_WAIT, c.state());

        Pool listed = h.pool();
        listed.credentials().remember(fetched, null, null);
        h.login(listed);
        assertEquals(Secret.of("pw"), h.launcher.lastFor(listed).login.secret(), "auth_file wins over auth_query");
        assertNull(h.launcher.lastFor(listed).login.scramClientKey());
    }

    /** PgBouncer keeps the password an LDAP server accepted as the user's: it wins over auth_file's. */
    @Test
    void aPasswordLdapAcceptedLogsInToTheServerBeforeAuthFiles() {
        PoolHarness h = new PoolHarness("pool_mode = transaction");
        Pool listed = h.pool();
        listed.credentials().remember(null, null, new Secret.Plain("ldap_pw"));
        listed.credentials().remember(null, null, null); // a later login by another method keeps it
        h.login(listed);
        assertEquals(new Secret.Plain("ldap_pw"), h.launcher.lastFor(listed).login.secret());
    }
}

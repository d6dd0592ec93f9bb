package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A server login that fails in its TLS negotiation: PgBouncer's disconnect_server in SV_LOGIN, no kill_pool_logins. */
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
        FakeClient next = h.login(pool);
        assertNull(next.failure, "tried with the new settings at once");
        assertEquals(2, h.launcher.countFor(pool));
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
}

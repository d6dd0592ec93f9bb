package dev.poolctl.pooler.pool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.pool.PoolHarness.FakeClient;
import dev.poolctl.pooler.pool.PoolHarness.FakeServer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * transaction_timeout, and the timeouts a {@code [users]} entry (and, for query_wait_timeout, a {@code [databases]}
 * entry) overrides, as the janitor applies them (PgBouncer 1.25's janitor.c, query_wait_timeout as 1.26's).
 * PostgreSQL's part is played by hand: a request in flight is {@code pending}, its start {@code requestNanos}, the
 * transaction's first request {@code xactStartNanos}, the status of the last ReadyForQuery {@code txStatus}.
 */
class PoolTransactionTimeoutsTest {

    private static void advance(PoolHarness h, double seconds) {
        h.clock.advance(Duration.ofMillis((long) (seconds * 1000)));
    }

    /** The client sends a request that owes a ReadyForQuery, as the session counts it. */
    private static void send(PoolHarness h, FakeServer s) {
        long now = h.clock.nanoTime();
        if (s.pending++ == 0) {
            s.requestNanos = now;
            if (s.xactStartNanos == 0 && s.txStatus == 'I') {
                s.xactStartNanos = now;
            }
        }
    }

    /** PostgreSQL answers ReadyForQuery with {@code status} ('T' inside a transaction block). */
    private static void answer(PoolHarness h, FakeServer s, char status) {
        s.pending--;
        s.txStatus = (byte) status;
        if (status == 'I') {
            s.xactStartNanos = 0;
        }
        if (s.pending == 0) {
            s.requestNanos = h.clock.nanoTime();
        }
    }

    @Test
    void transactionTimeoutCountsFromTheFirstRequestOfTheTransactionWhetherBusyOrIdle() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2\ntransaction_timeout = 10");
        Pool pool = h.pool();
        FakeClient early = h.idleClient(pool);
        FakeClient late = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(early);
        send(h, s); // BEGIN at t=0
        answer(h, s, 'T');
        advance(h, 4);
        FakeServer other = (FakeServer) h.serve(late);
        send(h, other); // late's BEGIN at t=4
        answer(h, other, 'T');
        advance(h, 2);
        send(h, s); // a query at t=6, still running at t=10.1
        advance(h, 3.9);
        h.janitor();
        assertNull(early.failure, "9.9 s since BEGIN");
        advance(h, 0.2);
        h.janitor();
        assertEquals("transaction timeout", early.failure, "a query in flight does not restart the count");
        assertEquals("transaction timeout", s.closeReason, "the server is closed: its transaction cannot be reset");
        assertEquals(ServerState.CLOSED, s.state());
        assertNull(late.failure, "its transaction began 4 s later");
        advance(h, 4);
        h.janitor();
        assertEquals("transaction timeout", late.failure, "idle in its transaction: the count goes on");
        assertEquals("transaction timeout", other.closeReason);
    }

    @Test
    void transactionTimeoutEndsWithTheTransactionAndCountsAStatementOutsideABlock() {
        PoolHarness h = new PoolHarness("pool_mode = session\ntransaction_timeout = 5");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(c);
        send(h, s); // BEGIN
        answer(h, s, 'T');
        advance(h, 4);
        send(h, s); // COMMIT at t=4
        answer(h, s, 'I');
        advance(h, 60);
        h.janitor();
        assertNull(c.failure, "session mode, linked but outside a transaction: nothing counts");
        assertEquals(ServerState.ACTIVE, s.state());

        send(h, s); // one long statement, no BEGIN: PgBouncer's xact_start is set by it too
        advance(h, 5.5);
        h.janitor();
        assertEquals("transaction timeout", c.failure);
    }

    /** Pipelined statements: the first one's ReadyForQuery 'I' does not end PgBouncer's xact_start. */
    @Test
    void transactionTimeoutCountsAPipelineFromItsFirstRequest() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ntransaction_timeout = 5");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(c);
        send(h, s); // select 1; select pg_sleep(10) as two Query messages, sent at once at t=0
        send(h, s);
        advance(h, 0.1);
        answer(h, s, 'I'); // the first is done: the session's transaction start is cleared
        advance(h, 5);
        h.janitor();
        assertEquals("transaction timeout", c.failure, "5.1 s since the pipeline's first request");
    }

    @Test
    void queryTimeoutComesFirstThenIdleTransactionThenTransactionTimeout() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\ndefault_pool_size = 2\nquery_timeout = 3\n"
                + "idle_transaction_timeout = 3\ntransaction_timeout = 3");
        Pool pool = h.pool();
        FakeClient busy = h.idleClient(pool);
        FakeClient idle = h.idleClient(pool);
        FakeServer s1 = (FakeServer) h.serve(busy);
        FakeServer s2 = (FakeServer) h.serve(idle);
        send(h, s1);
        send(h, s2);
        answer(h, s2, 'T');
        advance(h, 4);
        h.janitor();
        assertEquals("query timeout", busy.failure, "all three are over: PgBouncer checks query_timeout first");
        assertEquals("idle transaction timeout", idle.failure, "then idle_transaction_timeout");
    }

    /** PgBouncer issue 125: a long query that just ended inside a transaction is not idle time. */
    @Test
    void idleTransactionTimeoutCountsFromTheServersLastAnswer() {
        PoolHarness h = new PoolHarness("pool_mode = transaction\nidle_transaction_timeout = 2");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(c);
        send(h, s); // BEGIN
        answer(h, s, 'T');
        send(h, s); // select pg_sleep(3): the client's last message for a while
        advance(h, 3);
        answer(h, s, 'T');
        advance(h, 1);
        h.janitor();
        assertNull(c.failure, "idle in the transaction for 1 s, although the client last spoke 4 s ago");
        advance(h, 1.5);
        h.janitor();
        assertEquals("idle transaction timeout", c.failure);
        assertEquals("idle transaction timeout", s.closeReason);
    }

    @Test
    void aUsersTimeoutsBeatTheGlobalOnesOnlyWhenAboveZero() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 4\n"
                + "transaction_timeout = 100\nquery_timeout = 3\nidle_transaction_timeout = 100\n"
                + "[users]\nu = transaction_timeout=2 query_timeout=0 idle_transaction_timeout=50\n"
                + "v = query_timeout=10",
                "db = host=127.0.0.1 port=5432");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(c);
        send(h, s);
        answer(h, s, 'T');
        advance(h, 2.5);
        h.janitor();
        assertEquals("transaction timeout", c.failure, "u's 2 s, not the global 100 s");

        Pool vPool = h.pool(PoolHarness.DB, "v");
        FakeClient vc = h.idleClient(vPool);
        FakeServer vs = (FakeServer) h.serve(vc);
        send(h, vs);
        FakeClient uc = h.idleClient(pool);
        FakeServer us = (FakeServer) h.serve(uc);
        send(h, us);
        advance(h, 4);
        h.janitor();
        assertEquals("query timeout", uc.failure, "u's query_timeout=0 means unset: the global 3 s applies");
        assertNull(vc.failure, "v's 10 s beats the global 3 s");
        advance(h, 7);
        h.janitor();
        assertEquals("query timeout", vc.failure);
    }

    @Test
    void clientIdleTimeoutIsThatOfTheUserTheClientLoggedInAs() {
        // A forced user: one pool, clients of several names. PgBouncer reads client->login_user_credentials.
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\nclient_idle_timeout = 10\n"
                + "[users]\nalice = client_idle_timeout=2\nu = client_idle_timeout=1",
                "db = host=127.0.0.1 port=5432 user=u");
        Pool pool = h.pool();
        FakeClient alice = h.idleClient(pool);
        alice.user = "alice";
        FakeClient bob = h.idleClient(pool);
        bob.user = "bob";
        advance(h, 3);
        h.janitor();
        assertEquals("client_idle_timeout", alice.failure);
        assertNull(bob.failure, "bob has no entry: the global 10 s, not the forced user's 1 s");
        advance(h, 8);
        h.janitor();
        assertEquals("client_idle_timeout", bob.failure);
    }

    @Test
    void aUsersClientIdleTimeoutAppliesWithoutAGlobalOne() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\n[users]\nu = client_idle_timeout=2",
                "db = host=127.0.0.1 port=5432");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeClient linked = h.idleClient(pool);
        h.serve(linked);
        advance(h, 1.5);
        h.janitor();
        assertNull(c.failure);
        advance(h, 1);
        h.janitor();
        assertEquals("client_idle_timeout", c.failure);
        assertNull(linked.failure, "a client with a server is not idle");
    }

    /** PgBouncer 1.26: the user's entry, then the database's, then the global; a 0 that is set disables. */
    @Test
    void queryWaitTimeoutOfTheUserThenTheDatabaseThenGlobal() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 1\n"
                + "query_wait_timeout = 120\n[users]\nalice = query_wait_timeout=0\ncarol = query_wait_timeout=1",
                "db = host=127.0.0.1 port=5432 user=u query_wait_timeout=3");
        Pool pool = h.pool();
        FakeClient holder = h.idleClient(pool);
        h.serve(holder);
        FakeClient alice = h.idleClient(pool);
        alice.user = "alice";
        FakeClient bob = h.idleClient(pool);
        bob.user = "bob";
        FakeClient carol = h.idleClient(pool);
        carol.user = "carol";
        for (FakeClient c : new FakeClient[] {alice, bob, carol}) {
            h.request(c);
            assertEquals(ClientState.WAITING, c.state());
        }
        advance(h, 1.5);
        h.janitor();
        assertEquals("query_wait_timeout", carol.failure, "carol's own 1 s");
        assertNull(bob.failure);
        advance(h, 2);
        h.janitor();
        assertEquals("query_wait_timeout", bob.failure, "no user entry: the database's 3 s");
        advance(h, 200);
        h.janitor();
        assertNull(alice.failure, "alice's query_wait_timeout=0 is set: she waits as long as it takes");
        assertEquals(ClientState.WAITING, alice.state());
    }

    @Test
    void aReloadAppliesChangedUserTimeoutsToExistingPools() {
        String settings = "pool_mode = transaction\n";
        PoolHarness h = PoolHarness.withDatabases(settings + "[users]\nu = transaction_timeout=100",
                "db = host=127.0.0.1 port=5432");
        Pool pool = h.pool();
        FakeClient c = h.idleClient(pool);
        FakeServer s = (FakeServer) h.serve(c);
        send(h, s);
        answer(h, s, 'T');
        advance(h, 5);
        h.janitor();
        assertNull(c.failure);
        h.manager.apply(PoolHarness.config(settings + "[users]\nu = transaction_timeout=2",
                "db = host=127.0.0.1 port=5432"), Userlist.parse("\"u\" \"pw\"\n"));
        h.janitor();
        assertEquals("transaction timeout", c.failure, "the running transaction is measured with the new value");
    }

    @Test
    void queryWaitNotifyTellsAQueuedClientOncePerWait() {
        PoolHarness h = PoolHarness.withDatabases("pool_mode = transaction\ndefault_pool_size = 1\nquery_wait_notify = 2",
                "db = host=127.0.0.1 port=5432 user=u");
        Pool pool = h.pool();
        FakeClient holder = h.idleClient(pool);
        PoolServer server = h.serve(holder);
        FakeClient waiter = h.idleClient(pool);
        h.request(waiter);
        assertEquals(ClientState.WAITING, waiter.state());
        advance(h, 2.5);
        h.janitor();
        assertEquals(0, waiter.notices.size(), "PgBouncer compares whole seconds: 2 is not more than 2");
        advance(h, 0.6);
        h.janitor();
        h.janitor();
        assertEquals(java.util.List.of("No server connection available in postgres backend, client being queued"),
                waiter.notices, "once per wait");
        // served, then queued again: a new wait, a new notice
        h.finish(server);
        assertEquals(ClientState.ACTIVE, waiter.state());
        h.finish(waiter.server);
        h.request(holder);
        h.request(waiter);
        assertEquals(ClientState.WAITING, waiter.state());
        advance(h, 3.1);
        h.janitor();
        assertEquals(2, waiter.notices.size());
        assertEquals(0, holder.notices.size(), "a client with a server is not told");
    }
}

package dev.poolctl.pooler;

import static dev.poolctl.pooler.support.Queries.millisSince;
import static dev.poolctl.pooler.support.Queries.single;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * transaction_timeout and the timeouts of {@code [users]} (and query_wait_timeout of {@code [databases]}) against a
 * real PostgreSQL: each fires with PgBouncer's FATAL 08P01 message and log lines, counts from where PgBouncer
 * counts, and takes the value of the right user. Timeouts of 1-1.5 s keep the tests short.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = SECONDS)
class TransactionTimeoutsIT {
    private static final Duration AWAIT = Duration.ofSeconds(10);

    private static PostgresCluster pg;


    private static RawClient md5Client(PoolerFixture f) throws Exception {
        RawClient c = RawClient.connect(f.host(), f.port(), Duration.ofSeconds(10));
        c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, PostgresCluster.TEST_DB);
        return c;
    }

    private static String backendsIdleInTransaction() {
        return pg.queryValue("select count(*) from pg_stat_activity where usename = 'md5_user'"
                + " and state like 'idle in transaction%'");
    }

    /** From BEGIN, not from the last query: a query inside the transaction does not restart the count. */
    @Test
    void transactionTimeoutCountsFromBeginAndClosesTheServer() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", "transaction")
                .set("transaction_timeout", "1.5"));
             RawClient c = md5Client(f)) {
            long t0 = System.nanoTime();
            assertEquals('T', last(c.simpleQuery("BEGIN")).txStatus());
            Thread.sleep(1_000); // pacing the client: its second statement comes 1 s into the transaction
            assertEquals(List.of("1"), RawClient.firstColumn(c.simpleQuery("select 1")), "within 1.5 s of BEGIN");
            RawClient.Message m = c.read();
            long waited = millisSince(t0);
            RawClient.assertPoolerFatal(m, "transaction timeout");
            assertTrue(waited >= 1_400 && waited < 2_400, "fired " + waited + " ms after BEGIN, 1.5 s expected"
                    + " (counted from the last query it would be 2.5 s)");
            assertTrue(c.awaitClosed(Duration.ofSeconds(5)), "closed after the error");
            f.awaitLog("C-\\d+: testdb/md5_user@127\\.0\\.0\\.1:\\d+ closing because: transaction timeout", AWAIT);
            f.awaitLog("S-\\d+: testdb/md5_user@.* closing because: transaction timeout", AWAIT);
            PoolerFixture.await("the transaction's backend to go", AWAIT, () -> "0".equals(backendsIdleInTransaction()));

            // Short transactions and statements outside one go on for longer than the timeout.
            try (Connection ok = f.connect()) {
                long start = System.nanoTime();
                while (millisSince(start) < 2_500) {
                    assertEquals("1", single(ok, "select 1"));
                    Thread.sleep(200); // pacing the client, not waiting for a condition
                }
            }
        }
    }

    /** PgBouncer's xact_start is set by a statement outside a block too: a long one is cut by the timeout. */
    @Test
    void transactionTimeoutCutsALongStatementInSessionMode() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", "session")
                .set("transaction_timeout", "1"));
             Connection c = f.connect()) {
            assertEquals("1", single(c, "select 1"));
            Thread.sleep(1_500); // idle in its session, linked, outside a transaction: nothing may fire
            assertEquals("2", single(c, "select 2"));
            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(c, "select pg_sleep(5)::text"));
            long waited = millisSince(t0);
            assertTrue(e.getMessage().contains("transaction timeout"), e.getMessage());
            assertEquals("08P01", e.getSQLState(), e.getMessage());
            assertTrue(waited >= 900 && waited < 4_000, "fired after " + waited + " ms; pg_sleep(5) would take 5000");
        }
    }

    /** A [users] value beats the global one; a user without an entry keeps the global one. */
    @Test
    void aUsersTransactionTimeoutAndQueryTimeoutBeatTheGlobalOnes() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("transaction_timeout", "100")
                .set("query_timeout", "100")
                .user(PostgresCluster.MD5_USER, "transaction_timeout=1")
                .user(PostgresCluster.CLEARTEXT_USER, "query_timeout=1"));
             RawClient md5 = md5Client(f);
             Connection cleartext = f.connect(PostgresCluster.TEST_DB, PostgresCluster.CLEARTEXT_USER,
                     PostgresCluster.CLEARTEXT_PASSWORD);
             Connection trust = f.connect(PostgresCluster.TEST_DB, PostgresCluster.TRUST_USER,
                     PostgresCluster.TRUST_PASSWORD)) {
            long t0 = System.nanoTime();
            md5.simpleQuery("BEGIN");
            trust.setAutoCommit(false);
            assertEquals("1", single(trust, "select 1"));
            RawClient.assertPoolerFatal(md5.read(), "transaction timeout");
            long waited = millisSince(t0);
            assertTrue(waited >= 900 && waited < 3_000, "md5_user's 1 s, not 100 s: fired after " + waited + " ms");

            long q0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(cleartext, "select pg_sleep(5)::text"));
            assertTrue(e.getMessage().contains("query timeout"), e.getMessage());
            assertTrue(millisSince(q0) < 4_000, "cleartext_user's query_timeout of 1 s");
            f.awaitLog("S-\\d+: testdb/cleartext_user@.* closing because: query timeout", AWAIT);

            assertEquals("2", single(trust, "select pg_sleep(0.5)::text || '2'"), "trust_user has no entry: 100 s");
            trust.commit();
        }
    }

    /**
     * A [users] idle_transaction_timeout, counted from the server's last answer (PgBouncer issue 125 and the
     * second half of its test_idle_transaction_timeout): a query that ran longer than the timeout is not idle time.
     */
    @Test
    void aUsersIdleTransactionTimeoutCountsFromTheLastAnswer() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("idle_transaction_timeout", "100")
                .user(PostgresCluster.MD5_USER, "idle_transaction_timeout=1"));
             RawClient c = md5Client(f)) {
            c.simpleQuery("BEGIN");
            c.simpleQuery("select pg_sleep(1.5)");
            Thread.sleep(500); // idle in the transaction for half the timeout, 2 s after the client's last message
            assertEquals(List.of("1"), RawClient.firstColumn(c.simpleQuery("select 1")));
            long t0 = System.nanoTime();
            RawClient.assertPoolerFatal(c.read(), "idle transaction timeout");
            long waited = millisSince(t0);
            assertTrue(waited >= 800 && waited < 3_000, "md5_user's 1 s, not 100 s: fired after " + waited + " ms");
            f.awaitLog("S-\\d+: testdb/md5_user@.* closing because: idle transaction timeout", AWAIT);
        }
    }

    /** client_idle_timeout of the user the client logged in as; no global one is needed. */
    @Test
    void aUsersClientIdleTimeoutClosesOnlyItsClients() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .user(PostgresCluster.MD5_USER, "client_idle_timeout=1"));
             Connection other = f.connect(PostgresCluster.TEST_DB, PostgresCluster.CLEARTEXT_USER,
                     PostgresCluster.CLEARTEXT_PASSWORD);
             RawClient md5 = md5Client(f)) {
            long t0 = System.nanoTime(); // md5_user's client is idle from its login, just now
            assertEquals("1", single(other, "select 1"));
            RawClient.assertPoolerFatal(md5.read(), "client_idle_timeout");
            long waited = millisSince(t0);
            assertTrue(waited >= 800 && waited < 3_000, "fired after " + waited + " ms");
            f.awaitLog("C-\\d+: testdb/md5_user@.* closing because: client_idle_timeout", AWAIT);
            Thread.sleep(500); // the other client is idle 0.5 s past md5_user's timeout
            assertEquals("2", single(other, "select 2"), "cleartext_user has no client_idle_timeout");
        }
    }

    /**
     * PgBouncer 1.26's query_wait_timeout of a database and of a user (a set 0 waits without limit): three users
     * contend for a database's one server connection.
     */
    @Test
    void queryWaitTimeoutOfTheDatabaseAndOfTheUser() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .database("waitdb", "host=127.0.0.1 port=${port} dbname=testdb max_db_connections=1"
                        + " query_wait_timeout=1")
                .user(PostgresCluster.TRUST_USER, "query_wait_timeout=0"));
             Connection holder = f.connect("waitdb", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
             Connection dbLimit = f.connect("waitdb", PostgresCluster.CLEARTEXT_USER,
                     PostgresCluster.CLEARTEXT_PASSWORD);
             Connection patient = f.connect("waitdb", PostgresCluster.TRUST_USER, PostgresCluster.TRUST_PASSWORD)) {
            holder.setAutoCommit(false);
            assertEquals("1", single(holder, "select 1")); // holds waitdb's one server in a transaction
            var patientAnswer = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return single(patient, "select 'patient'");
                } catch (SQLException e) {
                    return e.getMessage();
                }
            });
            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> single(dbLimit, "select 2"));
            assertTrue(e.getMessage().contains("query_wait_timeout"), e.getMessage());
            long waited = millisSince(t0);
            assertTrue(waited >= 900 && waited < 3_000, "waitdb's 1 s, not the global 120 s: " + waited + " ms");
            Thread.sleep(1_000); // trust_user has waited 2 s, twice the database's limit
            assertTrue(!patientAnswer.isDone(), "trust_user's query_wait_timeout=0: still waiting");
            holder.commit();
            assertEquals("patient", patientAnswer.get(10, SECONDS));
        }
    }

    /** SET transaction_timeout applies at once (no "not applied" warning), also to a transaction already open. */
    @Test
    void setAndReloadApplyToOpenTransactions() throws Exception {
        try (PoolerFixture f = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER));
             RawClient viaSet = md5Client(f)) {
            viaSet.simpleQuery("BEGIN");
            try (Connection admin = f.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                    "preferQueryMode=simple"); Statement st = admin.createStatement()) {
                st.execute("SET transaction_timeout = 1");
                SQLWarning w = st.getWarnings();
                assertNull(w, "applied, so no warning: " + w);
                RawClient.assertPoolerFatal(viaSet.read(), "transaction timeout");
                st.execute("SET transaction_timeout = 0");

                try (RawClient viaReload = md5Client(f)) {
                    viaReload.simpleQuery("BEGIN");
                    Files.writeString(f.ini(), Files.readString(f.ini())
                            + "\n[users]\nmd5_user = transaction_timeout=1\n");
                    st.execute("RELOAD");
                    RawClient.assertPoolerFatal(viaReload.read(), "transaction timeout");
                }
            }
        }
    }

    private static RawClient.Message last(List<RawClient.Message> messages) {
        return messages.get(messages.size() - 1);
    }
}

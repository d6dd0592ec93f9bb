package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RawClient;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * COPY FROM STDIN over the extended protocol as libpq sends it (PQexecParams, then PQputCopyEnd): Parse, Bind,
 * Execute, Sync, the data, CopyDone and a second Sync. PostgreSQL ignores the first Sync in copy-in, so only one
 * ReadyForQuery comes; the server must still be released at the end of the transaction, with and without
 * prepared-statement tracking. A pool of one shows it: the next client gets the server.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CopyIT {
    static PostgresCluster pg;
    /** max_prepared_statements at its default: requests are tracked per server. */
    static PoolerFixture tracked;
    /** max_prepared_statements = 0: only the ReadyForQuery count. */
    static PoolerFixture plain;

    @BeforeAll
    static void start() {
        pg.query("testdb", "CREATE TABLE IF NOT EXISTS copy_it (v text)");
        pg.query("testdb", "GRANT ALL ON copy_it TO PUBLIC");
        tracked = PoolerFixture.start(pg, PoolerFixture.settings()
                .database("copydb", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1"));
        plain = PoolerFixture.start(pg, PoolerFixture.settings().set("max_prepared_statements", "0")
                .database("copydb", "host=127.0.0.1 port=${port} dbname=testdb pool_size=1"));
    }

    @AfterAll
    static void stop() {
        for (PoolerFixture f : new PoolerFixture[] {tracked, plain}) {
            if (f != null) {
                f.close();
            }
        }
        pg.query("testdb", "DROP TABLE IF EXISTS copy_it");
    }

    static PoolerFixture pooler(boolean tracking) {
        return tracking ? tracked : plain;
    }

    static byte[] copyData(String line) {
        return RawClient.message('d', line.getBytes(StandardCharsets.UTF_8));
    }

    static RawClient client(boolean tracking) throws Exception {
        RawClient c = RawClient.connect(pooler(tracking));
        c.login(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD, "copydb");
        return c;
    }

    /** Another client on the pool of one gets the server: the COPY's transaction released it. */
    static void nextClientGetsTheServer(boolean tracking) throws Exception {
        try (Connection c = pooler(tracking).connect("copydb", PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD, "socketTimeout=10"); Statement st = c.createStatement()) {
            st.execute("select 1");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void extendedCopyInReleasesTheServer(boolean tracking) throws Exception {
        String db = tracking ? "tracked" : "plain";
        try (RawClient c = client(tracking)) {
            c.send(RawClient.concat(RawClient.parse("", "COPY copy_it FROM STDIN"), RawClient.bind(""),
                    RawClient.execute(), RawClient.sync()));
            assertEquals("12G", RawClient.types(c.readUntil('G')));
            c.send(RawClient.concat(copyData(db + "-a\n"), copyData(db + "-b\n"),
                    RawClient.message('c', new byte[0]), RawClient.sync()));
            List<RawClient.Message> end = c.readUntil('Z');
            assertEquals("CZ", RawClient.types(end));
            assertEquals('I', end.get(1).txStatus());
            nextClientGetsTheServer(tracking);
            // The same client goes on normally on whatever server it gets next.
            assertEquals(List.of("2"), RawClient.firstColumn(c.simpleQuery(
                    "select count(*) from copy_it where v like '" + db + "-%'")));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void copyFailAnswersTheErrorAndReleasesTheServer(boolean tracking) throws Exception {
        try (RawClient c = client(tracking)) {
            c.send(RawClient.concat(RawClient.parse("", "COPY copy_it FROM STDIN"), RawClient.bind(""),
                    RawClient.execute(), RawClient.sync()));
            c.readUntil('G');
            c.send(RawClient.concat(copyData("never\n"), RawClient.message('f', "client gave up\0"
                    .getBytes(StandardCharsets.UTF_8)), RawClient.sync()));
            List<RawClient.Message> end = c.readUntil('Z');
            assertEquals("EZ", RawClient.types(end));
            assertTrue(end.get(0).fields().get('M').contains("client gave up"), end.toString());
            nextClientGetsTheServer(tracking);
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void simpleQueryCopyStillWorks(boolean tracking) throws Exception {
        try (RawClient c = client(tracking)) {
            c.send(RawClient.query("COPY copy_it FROM STDIN"));
            c.readUntil('G');
            c.send(RawClient.concat(copyData("simple\n"), RawClient.message('c', new byte[0])));
            assertEquals("CZ", RawClient.types(c.readUntil('Z')));
            nextClientGetsTheServer(tracking);
        }
    }
}

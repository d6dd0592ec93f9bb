package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cluster's own psql and pgbench through the real pooler, in session and transaction pool mode.
 * The transaction-mode pooler has fewer servers (4) than pgbench has clients (5 or 10), so clients queue
 * and servers are handed from client to client between transactions.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PsqlPgbenchIT {
    private static final String SESSION = "session";
    private static final String TRANSACTION = "transaction";
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern TPS = Pattern.compile("tps = ([0-9.]+)");
    private static final Pattern FAILED = Pattern.compile("number of failed transactions: (\\d+)");
    private static final Pattern PROCESSED = Pattern.compile("number of transactions actually processed: (\\d+)");

    private static PostgresCluster pg;
    private static final Map<String, PoolerFixture> FIXTURES = new LinkedHashMap<>();

    @BeforeAll
    static void startPoolers() {
        // session mode: enough servers for pgbench's 10 clients; transaction mode: fewer, to multiplex
        FIXTURES.put(SESSION, PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", SESSION).set("default_pool_size", "12")));
        FIXTURES.put(TRANSACTION, PoolerFixture.start(pg, PoolerFixture.settings()
                .set("pool_mode", TRANSACTION).set("default_pool_size", "4")));
        pg.query("CREATE TABLE IF NOT EXISTS psql_it_copy (mode text NOT NULL, id int NOT NULL, val text)");
        pg.query("GRANT ALL ON psql_it_copy TO PUBLIC");
    }

    @AfterAll
    static void stopPoolers() {
        FIXTURES.values().forEach(PoolerFixture::close);
        FIXTURES.clear();
        if (pg != null) {
            pg.query("DROP TABLE IF EXISTS psql_it_copy");
        }
    }

    private static Processes.Result psql(String mode, String... args) {
        List<String> all = new ArrayList<>(List.of("-X", "-d", PostgresCluster.TEST_DB));
        all.addAll(List.of(args));
        return FIXTURES.get(mode).run("psql", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                CLIENT_TIMEOUT, all.toArray(String[]::new));
    }

    private static String streams(Processes.Result r) {
        return "\n--- exit code " + r.exitCode() + " ---\n--- stdout ---\n" + r.stdout() + "\n--- stderr ---\n" + r.stderr();
    }

    // ---------------------------------------------------------------- psql

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void psqlMultiStatementQuery(String mode) {
        Processes.Result r = psql(mode, "-At", "-v", "ON_ERROR_STOP=1", "-c", "select 1; select 2;")
                .assertSuccess("psql -c 'select 1; select 2;'");
        // PostgreSQL 15+ psql prints the result of every statement of a -c string, older ones only the last.
        String expected = pg.serverVersionNum() >= 150000 ? "1\n2" : "2";
        assertEquals(expected, r.stdout().strip(), streams(r));
        assertEquals("", r.stderr().strip());
    }

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void psqlScriptContinuesAfterErrorWithoutOnErrorStop(String mode, @TempDir Path tmp) throws IOException {
        Path script = tmp.resolve("script.sql");
        Files.writeString(script, String.join("\n",
                "select 'before' as marker;",
                "select 1/0;",
                "select * from no_such_table;",
                "select 'after' as marker;",
                ""));
        Processes.Result r = psql(mode, "-At", "-v", "ON_ERROR_STOP=0", "-f", script.toString());
        assertEquals(0, r.exitCode(), "psql without ON_ERROR_STOP exits 0" + streams(r));
        assertTrue(r.stderr().contains("ERROR:  division by zero"), streams(r));
        assertTrue(r.stderr().contains("relation \"no_such_table\" does not exist"), streams(r));
        assertEquals("before\nafter", r.stdout().strip(), streams(r));
    }

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void psqlCopyInAndOutThroughTempFiles(String mode, @TempDir Path tmp) throws IOException {
        Path in = tmp.resolve("in.tsv");
        Path out = tmp.resolve("out.tsv");
        StringBuilder data = new StringBuilder();
        for (int i = 1; i <= 5000; i++) {
            data.append(mode).append('\t').append(i).append('\t').append("line ").append(i).append('\n');
        }
        Files.writeString(in, data.toString());
        Processes.Result r = psql(mode, "-At", "-v", "ON_ERROR_STOP=1",
                "-c", "delete from psql_it_copy where mode = '" + mode + "'",
                "-c", "\\copy psql_it_copy (mode, id, val) from '" + in + "'",
                "-c", "select count(*), sum(id) from psql_it_copy where mode = '" + mode + "'",
                "-c", "\\copy (select mode, id, val from psql_it_copy where mode = '" + mode + "' order by id) to '"
                        + out + "'",
                "-c", "delete from psql_it_copy where mode = '" + mode + "'")
                .assertSuccess("psql \\copy");
        assertTrue(r.stdout().contains("COPY 5000"), streams(r));
        assertTrue(r.stdout().contains("5000|12502500"), streams(r));
        assertEquals(data.toString(), Files.readString(out), "\\copy out returns what \\copy in loaded");
    }

    // ---------------------------------------------------------------- pgbench

    private static Processes.Result pgbench(String mode, String... args) {
        List<String> all = new ArrayList<>(List.of("-n"));
        all.addAll(List.of(args));
        all.add(PostgresCluster.TEST_DB);
        return FIXTURES.get(mode).run("pgbench", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                CLIENT_TIMEOUT, all.toArray(String[]::new));
    }

    /** Exit code 0, no failed transactions, some transactions processed, tps > 0. */
    private static void assertPgbenchOk(Processes.Result r, String what) {
        r.assertSuccess(what);
        String out = r.stdout();
        Matcher failed = FAILED.matcher(out);
        if (failed.find()) {
            assertEquals("0", failed.group(1), what + ": failed transactions" + streams(r));
        }
        Matcher processed = PROCESSED.matcher(out);
        assertTrue(processed.find(), what + ": no transaction count" + streams(r));
        assertTrue(Long.parseLong(processed.group(1)) > 0, what + ": transactions processed" + streams(r));
        Matcher tps = TPS.matcher(out);
        assertTrue(tps.find(), what + ": no tps" + streams(r));
        assertTrue(Double.parseDouble(tps.group(1)) > 0, what + ": tps > 0" + streams(r));
        assertFalse(r.stderr().contains("ERROR"), what + ": errors" + streams(r));
        System.out.printf("[PsqlPgbenchIT] %s: %s, %s%n", what, processed.group(0), tps.group(0));
    }

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void pgbenchSelectOnlySimpleProtocol(String mode) {
        assertPgbenchOk(pgbench(mode, "-S", "-T", "3", "-c", "10"), mode + " pgbench -S -c 10");
    }

    /**
     * Transaction mode used to hang here: a server released client A and was relinked to a queued client B
     * whose answer arrived in the same epoll read loop, so A's last response was never flushed (fixed in
     * ServerConnection.forward, which now flushes the previous client first).
     */
    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void pgbenchSelectOnlyExtendedProtocol(String mode) {
        assertPgbenchOk(pgbench(mode, "-S", "-M", "extended", "-T", "3", "-c", "10"), mode + " pgbench -S -M extended -c 10");
    }

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void pgbenchTpcbLike(String mode) {
        assertPgbenchOk(pgbench(mode, "-T", "3", "-c", "5"), mode + " pgbench TPC-B-like -c 5");
    }

    @ParameterizedTest
    @ValueSource(strings = {SESSION, TRANSACTION})
    void pgbenchReconnectPerTransaction(String mode) {
        assertPgbenchOk(pgbench(mode, "-C", "-S", "-T", "3", "-c", "5"), mode + " pgbench -C -S -c 5");
    }
}

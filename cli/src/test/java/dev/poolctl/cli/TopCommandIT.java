package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.PassFiles;
import dev.poolctl.cli.support.MiniJson;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** {@code poolctl top} in-process: the --once report against a real pooler, and its refusals. */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class TopCommandIT {
    static PostgresCluster pg;
    static PoolerFixture pooler;
    static Path passfile;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings().set("admin_users", PostgresCluster.MD5_USER));
        passfile = PassFiles.md5Admin(dir);
    }

    @AfterAll
    static void stop() {
        if (pooler != null) {
            pooler.close();
        }
    }

    static Cli top(String... args) {
        List<String> all = new ArrayList<>(List.of("top"));
        all.addAll(List.of(args));
        all.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(pooler.port()), "-U", PostgresCluster.MD5_USER,
                "--passfile", passfile.toString()));
        return Cli.run(all.toArray(new String[0]));
    }

    /** Runs {@code select 1} in a loop through the pooler until stopped, so rates are above zero. */
    static CompletableFuture<Integer> load(AtomicBoolean stop) {
        return CompletableFuture.supplyAsync(() -> {
            int n = 0;
            try (Connection c = pooler.connect(); Statement st = c.createStatement()) {
                while (!stop.get() && n < 1_000_000) {
                    st.execute("select 1");
                    n++;
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return n;
        });
    }

    @Test
    @SuppressWarnings("unchecked")
    void onceJsonReportsPoolsAndRatesOverTwoSamples() throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Integer> load = load(stop);
        Cli r;
        try {
            r = top("--once", "--interval", "500ms", "--format", "json");
        } finally {
            stop.set(true);
        }
        assertTrue(load.get(30, TimeUnit.SECONDS) > 0);
        assertEquals(0, r.code(), r.toString());
        Map<String, Object> report = (Map<String, Object>) MiniJson.parse(r.out());
        assertEquals("127.0.0.1:" + pooler.port(), report.get("target"));
        assertTrue(((String) report.get("version")).startsWith("poolctl "));
        List<Object> pools = (List<Object>) report.get("pools");
        Map<String, Object> testdb = (Map<String, Object>) pools.stream()
                .filter(p -> "testdb".equals(((Map<String, Object>) p).get("database"))).findFirst().orElseThrow();
        assertEquals("transaction", testdb.get("pool_mode"));
        assertInstanceOf(Number.class, testdb.get("cl_active"));
        assertTrue(((Number) testdb.get("tps")).doubleValue() > 0, "load ran during the sample: " + testdb);
        Map<String, Object> totals = (Map<String, Object>) report.get("totals");
        assertTrue(((Number) totals.get("qps")).doubleValue() > 0, totals.toString());
        assertNotNull(report.get("alerts"));
    }

    @Test
    void onceTableHasTheTotalsAndAPoolRow() {
        Cli r = top("--once", "--interval", "200ms");
        assertEquals(0, r.code(), r.toString());
        assertTrue(r.out().startsWith("target: 127.0.0.1:" + pooler.port() + "  version: poolctl "), r.out());
        assertTrue(r.out().contains("\nclients "), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("database ") && l.contains("cl_waiting")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("pgbouncer ")), r.out());
        assertTrue(r.out().contains("\nalerts: "), r.out());
    }

    /** --record keeps what top saw; --replay --once reports the recording's last two snapshots, offline. */
    @Test
    @SuppressWarnings("unchecked")
    void aRecordingIsReportedOnceWithoutAPooler(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("incident.jsonl");
        Cli recorded = top("--once", "--interval", "200ms", "--record", file.toString());
        assertEquals(0, recorded.code(), recorded.toString());
        assertEquals(2, java.nio.file.Files.readAllLines(file).size(), "the two samples of --once");
        Cli replayed = Cli.run("top", "--replay", file.toString(), "--once", "--format", "json");
        assertEquals(0, replayed.code(), replayed.toString());
        java.util.Map<String, Object> report = (java.util.Map<String, Object>) MiniJson.parse(replayed.out());
        assertEquals("replay of incident.jsonl", report.get("target"));
        assertTrue(((List<Object>) report.get("pools")).size() >= 1, replayed.out());
        Cli dashboard = Cli.run("top", "--replay", file.toString());
        assertEquals(2, dashboard.code(), "no terminal here: " + dashboard);
        Cli missing = Cli.run("top", "--replay", dir.resolve("nope.jsonl").toString(), "--once");
        assertEquals(2, missing.code(), missing.toString());
        assertTrue(missing.err().contains("no recording"), missing.err());
        Cli both = Cli.run("top", "--replay", file.toString(), "--record", dir.resolve("x").toString());
        assertEquals(2, both.code(), both.toString());
    }

    @Test
    void theDashboardNeedsATerminal() {
        Cli r = top();
        assertEquals(2, r.code(), r.toString());
        assertEquals("poolctl top: needs a terminal; use --once for a report on stdout\n", r.err());
    }

    @Test
    void badIntervalsAreUsageErrors() {
        Cli tooShort = top("--once", "--interval", "10ms");
        assertEquals(2, tooShort.code(), tooShort.toString());
        assertTrue(tooShort.err().contains("--interval must be at least 100ms"), tooShort.err());
        Cli nonsense = top("--once", "--interval", "soon");
        assertEquals(2, nonsense.code(), nonsense.toString());
        assertTrue(nonsense.err().contains("'soon' is not a duration"), nonsense.err());
    }

    @Test
    void nothingListeningExits3WithoutATrace(@TempDir Path dir) {
        Cli r = Cli.run("top", "--once", "-h", "127.0.0.1", "-p", Integer.toString(FreePort.find()), "-U", "x",
                "--passfile", passfile.toString());
        assertEquals(3, r.code(), r.toString());
        assertFalse(r.err().contains("Exception"), r.err());
    }
}

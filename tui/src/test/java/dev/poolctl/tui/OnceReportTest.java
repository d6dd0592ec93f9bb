package dev.poolctl.tui;

import static dev.poolctl.tui.support.Recorded.T0;
import static dev.poolctl.tui.support.Recorded.snapshot;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.SnapshotSource;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class OnceReportTest {
    final DashboardModel model = new DashboardModel("a \"quoted\" host:6432", Duration.ofMillis(1500),
            AlertRules.DEFAULT, T0);

    void apply(String sample, double seconds) {
        Snapshot s = snapshot(sample, seconds);
        model.apply(s, s.takenAt());
    }

    @Test
    void jsonHasRatesNullsForUnknownsAndEscapedText() {
        apply("pgbouncer-1.18-a", 0);
        String first = OnceReport.json(model);
        assertTrue(first.contains("\"target\":\"a \\\"quoted\\\" host:6432\""), first);
        assertTrue(first.contains("\"tps\":null"), "one sample has no rate: " + first);
        apply("pgbouncer-1.18-b", 2);
        String json = OnceReport.json(model);
        assertTrue(json.contains("\"interval_seconds\":1.500"), json);
        assertTrue(json.contains("{\"database\":\"postgres\",\"user\":\"postgres\",\"pool_mode\":\"transaction\","
                + "\"cl_active\":0,\"cl_waiting\":0,\"sv_active\":0,\"sv_idle\":3,"), json);
        assertTrue(json.contains("\"pool_size\":3,\"saturation\":0,\"tps\":422.500,\"wait_p50_us\":null,\"wait_p99_us\":null,"
                + "\"why\":null,\"why_detail\":null}"), "nobody waits in sample b: " + json);
        assertTrue(json.contains("\"instances\":[]"), "one pooler, no fleet: " + json);
        assertTrue(json.contains("\"counters_reset\":false"), json);
    }

    @Test
    void tableLinesUpThePoolColumns() {
        apply("poolctl-0.1-a", 0);
        apply("poolctl-0.1-b", 2);
        StringWriter out = new StringWriter();
        OnceReport.print(new PrintWriter(out), model, OnceReport.OutputFormat.table);
        String text = out.toString();
        assertTrue(text.startsWith("target: a \"quoted\" host:6432  version: poolctl 0.1.0  interval: 1500ms\n"),
                text);
        String header = text.lines().filter(l -> l.startsWith("database")).findFirst().orElseThrow();
        String row = text.lines().filter(l -> l.startsWith("postgres")).findFirst().orElseThrow();
        assertTrue(row.contains("  904  ") || row.endsWith("  904"), "tps (8671 - 6863) / 2: " + row);
        assertTrue(header.endsWith("tps  why"), header);
        assertTrue(row.indexOf("904") + 3 == header.indexOf("tps") + 3, "right-aligned under its header:\n" + header
                + "\n" + row);
    }

    @Test
    void aConditionInBothSamplesIsAnAlertWhateverTheDelay() throws Exception {
        SnapshotSource waiting = new SnapshotSource() {
            int n;

            @Override
            public Snapshot take() {
                return snapshot("pgbouncer-1.18-a", n++);
            }

            @Override
            public String describe() {
                return "recorded";
            }

            @Override
            public void close() {}
        };
        DashboardModel m = OnceReport.sample(waiting, Duration.ofMillis(10),
                new AlertRules(Duration.ofMinutes(5), 0.8, Duration.ofSeconds(1)), java.time.Clock.systemUTC());
        assertTrue(OnceReport.json(m).contains("\"kind\":\"clients_waiting\",\"subject\":\"postgres/postgres\""),
                OnceReport.json(m));
    }
}

package dev.poolctl.tui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import dev.poolctl.client.AdminClient;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RealPgBouncer;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.source.AdminConsoleActions;
import dev.poolctl.tui.source.AdminSnapshotSource;
import dev.poolctl.tui.source.ConsoleActions;
import dev.poolctl.tui.source.FleetConsoleActions;
import dev.poolctl.tui.source.FleetSnapshotSource;
import dev.poolctl.tui.source.SnapshotSource;
import dev.poolctl.tui.support.FlushedFrames;
import dev.poolctl.tui.support.Screens;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * top on a fleet of two real poolctl instances and Debian's real PgBouncer (when installed), on a virtual terminal
 * at 80x24 then 160x48: the Fleet view shows each up, the pools are summed, one poolctl stopped mid-test becomes a
 * down row with why while the others go on, Enter shows one instance alone, and a PAUSE goes to every instance that
 * is up.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FleetTopIT {
    static PostgresCluster pg;

    static List<String> cells(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }

    @Test
    void aFleetOnTheDashboard() throws Exception {
        DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(80, 24));
        FlushedFrames frames = new FlushedFrames(terminal);
        ExecutorService threads = Executors.newCachedThreadPool();
        PoolerFixture.Settings settings = PoolerFixture.settings().set("admin_users", PostgresCluster.MD5_USER);
        Optional<java.nio.file.Path> binary = RealPgBouncer.binary();
        try (PoolerFixture a = PoolerFixture.start(pg, settings); PoolerFixture b = PoolerFixture.start(pg, settings);
             RealPgBouncer pgbouncer = binary.isPresent() ? RealPgBouncer.start(binary.get(), pg,
                     Map.of("admin_users", PostgresCluster.MD5_USER)) : null) {
            List<Integer> ports = new ArrayList<>(List.of(a.port(), b.port()));
            if (pgbouncer != null) {
                ports.add(pgbouncer.port());
            }
            List<String> names = new ArrayList<>();
            List<SnapshotSource> sources = new ArrayList<>();
            List<ConsoleActions> actions = new ArrayList<>();
            List<Connection> clients = new ArrayList<>();
            for (int port : ports) {
                AdminSnapshotSource.Connector connector = () -> AdminClient.connect(
                        new AdminClient.Target("127.0.0.1", port, PostgresCluster.MD5_USER),
                        u -> PostgresCluster.MD5_PASSWORD, 3000, 5000);
                names.add("127.0.0.1:" + port);
                sources.add(new AdminSnapshotSource(connector, "127.0.0.1:" + port, Clock.systemUTC()));
                actions.add(new AdminConsoleActions(connector));
                Connection c = java.sql.DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/testdb",
                        PoolerFixture.jdbcProperties(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD));
                try (Statement st = c.createStatement()) {
                    st.execute("select 1"); // a testdb pool with a client on each instance
                }
                clients.add(c);
            }
            Dashboard d = new Dashboard(new TerminalScreen(terminal), new FleetSnapshotSource(names, sources),
                    new Dashboard.Options(Duration.ofMillis(200), new AlertRules(Duration.ofSeconds(60), 0.8,
                            Duration.ofSeconds(1)), new FleetConsoleActions(names, actions)),
                    Clock.system(ZoneOffset.UTC));
            Future<Void> dashboard = threads.submit(() -> {
                d.run();
                return null;
            });
            try {
                String pools = frames.await("testdb summed over " + ports.size() + " instances", s ->
                        s.contains("testdb       md5_user") && cells(Screens.line(s, "testdb       md5_user")).get(2)
                                .equals(Integer.toString(ports.size())), 20);
                assertTrue(pools.split("\n")[0].contains("fleet of " + ports.size() + "  " + ports.size()
                        + " up, summed"), pools);

                terminal.addInput(new KeyStroke('8', false, false));
                String fleet = frames.await("every instance up", s -> names.stream().allMatch(n ->
                        s.contains(n) && cells(Screens.line(s, n)).get(1).equals("up")), 20);
                if (pgbouncer != null) {
                    assertTrue(Screens.line(fleet, names.get(2)).contains("PgBouncer"), fleet);
                }
                clients.get(1).close();
                b.close(); // one instance goes away: its row says so, the others stay
                String down = frames.await(names.get(1) + " down", s -> s.contains(names.get(1))
                        && cells(Screens.line(s, names.get(1))).get(1).equals("down"), 20);
                assertEquals("up", cells(Screens.line(down, names.get(0))).get(1), down);
                assertTrue(cells(Screens.line(down, names.get(1))).size() > 2, "why it is down: " + down);

                terminal.setTerminalSize(new TerminalSize(160, 48));
                frames.await("the wide Fleet view", s -> s.contains("version / error"), 20);

                terminal.addInput(new KeyStroke(KeyType.Enter)); // the first instance alone
                terminal.addInput(new KeyStroke('1', false, false));
                frames.await("one instance alone", s -> s.split("\n")[0].contains("showing " + names.get(0))
                        && s.contains("testdb       md5_user")
                        && cells(Screens.line(s, "testdb       md5_user")).get(3).equals("1"), 20);
                terminal.addInput(new KeyStroke('8', false, false));
                terminal.addInput(new KeyStroke(KeyType.Enter)); // all again
                terminal.addInput(new KeyStroke('1', false, false));
                frames.await("summed again", s -> s.split("\n")[0].contains("up, summed"), 20);

                terminal.addInput(new KeyStroke('/', false, false));
                for (char ch : "testdb".toCharArray()) {
                    terminal.addInput(new KeyStroke(ch, false, false));
                }
                terminal.addInput(new KeyStroke(KeyType.Enter));
                terminal.addInput(new KeyStroke('p', false, false));
                frames.await("the confirmation", s -> s.contains("PAUSE testdb on all " + ports.size() + " instances ?"),
                        10);
                terminal.addInput(new KeyStroke('y', false, false));
                String answered = frames.await("the answer", s -> s.contains("PAUSE testdb: PAUSE on "), 30);
                assertTrue(answered.contains("PAUSE on " + (ports.size() - 1) + " of " + ports.size()), answered);
                for (int i = 0; i < ports.size(); i++) {
                    if (i == 1) {
                        continue;
                    }
                    int port = ports.get(i);
                    try (AdminClient c = AdminClient.connect(new AdminClient.Target("127.0.0.1", port,
                            PostgresCluster.MD5_USER), u -> PostgresCluster.MD5_PASSWORD, 3000, 5000)) {
                        AdminClient.Result dbs = c.query("SHOW DATABASES");
                        List<String> testdb = dbs.rows().stream().filter(r -> "testdb".equals(r.get(0))).findFirst()
                                .orElseThrow();
                        assertEquals("1", testdb.get(dbs.columns().indexOf("paused")), "instance " + port);
                        c.query("RESUME testdb");
                    }
                }
            } finally {
                terminal.addInput(new KeyStroke('q', false, false));
                dashboard.get(10, TimeUnit.SECONDS);
                for (Connection c : clients) {
                    c.close();
                }
                threads.shutdownNow();
            }
        }
    }
}

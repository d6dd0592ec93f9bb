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
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.source.AdminConsoleActions;
import dev.poolctl.tui.source.AdminSnapshotSource;
import dev.poolctl.tui.support.FlushedFrames;
import dev.poolctl.tui.support.Screens;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * End to end: PostgreSQL, the pooler with a pool of one, a client holding the server in a transaction and another
 * waiting; the dashboard on a virtual terminal shows cl_waiting as the console does, raises the alert, and its
 * pause action pauses the pool.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class TopIT {
    static PostgresCluster pg;
    PoolerFixture pooler;
    final DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(160, 48));
    final FlushedFrames frames = new FlushedFrames(terminal);
    final ExecutorService threads = Executors.newCachedThreadPool();
    Future<?> dashboard;

    @BeforeEach
    void start() {
        pooler = PoolerFixture.start(pg, PoolerFixture.settings()
                .set("admin_users", PostgresCluster.MD5_USER)
                .set("default_pool_size", "1")
                .set("max_db_connections", "1"));
    }

    @AfterEach
    void stop() throws Exception {
        if (dashboard != null && !dashboard.isDone()) {
            terminal.addInput(new KeyStroke('q', false, false));
            dashboard.get(10, TimeUnit.SECONDS);
        }
        threads.shutdownNow();
        pooler.close();
    }

    AdminClient admin() throws java.io.IOException, dev.poolctl.client.AdminException {
        return AdminClient.connect(new AdminClient.Target("127.0.0.1", pooler.port(), PostgresCluster.MD5_USER),
                u -> PostgresCluster.MD5_PASSWORD, 5000, 30000);
    }

    void press(char c) {
        terminal.addInput(new KeyStroke(c, false, false));
    }

    @Test
    void showsWaitingClientsRaisesTheAlertAndPausesFromTheDashboard() throws Exception {
        AdminSnapshotSource.Connector connector = this::admin;
        Dashboard d = new Dashboard(new TerminalScreen(terminal),
                new AdminSnapshotSource(connector, "127.0.0.1:" + pooler.port(), Clock.systemUTC()),
                new Dashboard.Options(Duration.ofMillis(200),
                        new AlertRules(Duration.ofMillis(500), 0.8, Duration.ofSeconds(1)),
                        new AdminConsoleActions(connector)),
                Clock.system(ZoneOffset.UTC));
        dashboard = threads.submit(() -> {
            d.run();
            return null;
        });

        Connection holder = pooler.connect();
        holder.setAutoCommit(false);
        try (Statement st = holder.createStatement()) {
            st.execute("select 1"); // holds the only server in a transaction
        }
        Future<?> waiter = threads.submit(() -> {
            try (Connection c = pooler.connect(); Statement st = c.createStatement()) {
                st.execute("select 2");
            }
            return null;
        });

        String screen = frames.await("cl_waiting 1 and the alert", s -> s.contains("clients waiting testdb/md5_user")
                && s.contains("testdb       md5_user") && cells(Screens.line(s, "testdb       md5_user")).get(4).equals("1"),
                30);
        List<String> row = cells(Screens.line(screen, "testdb       md5_user"));
        try (AdminClient c = admin()) {
            AdminClient.Result pools = c.query("SHOW POOLS");
            List<String> console = pools.rows().stream()
                    .filter(r -> "testdb".equals(r.get(0))).findFirst().orElseThrow();
            // database user mode cl_act cl_wait sv_act: the same numbers as SHOW POOLS (steady while held)
            assertEquals(console.get(pools.columns().indexOf("cl_active")), row.get(3));
            assertEquals(console.get(pools.columns().indexOf("cl_waiting")), row.get(4));
            assertEquals(console.get(pools.columns().indexOf("sv_active")), row.get(5));
        }
        assertTrue(Screens.line(screen, "clients waiting testdb/md5_user").startsWith("! "), screen);

        // Select the testdb pool (filter it), PAUSE it: the console answers once the held transaction ends.
        press('/');
        for (char ch : "testdb".toCharArray()) {
            press(ch);
        }
        terminal.addInput(new KeyStroke(KeyType.Enter));
        press('p');
        frames.await("the confirmation", s -> s.contains("PAUSE testdb ?"), 10);
        press('y');
        frames.await("the running pause", s -> s.contains("PAUSE testdb: running..."), 10);
        holder.commit();
        holder.close();
        frames.await("the console's answer", s -> s.contains("PAUSE testdb: PAUSE"), 30);
        try (AdminClient c = admin()) {
            AdminClient.Result dbs = c.query("SHOW DATABASES");
            List<String> testdb = dbs.rows().stream().filter(r -> "testdb".equals(r.get(0))).findFirst()
                    .orElseThrow();
            assertEquals("1", testdb.get(dbs.columns().indexOf("paused")));
            c.query("RESUME testdb");
        }
        waiter.get(30, TimeUnit.SECONDS); // paused pools keep their waiting clients until RESUME

        // A LISTEN in transaction mode shows in the Hazards view (7), as SHOW HAZARDS counts it.
        try (Connection c = pooler.connect(); Statement st = c.createStatement()) {
            st.execute("LISTEN top_it");
        }
        press('7');
        String hazards = frames.await("the LISTEN counted", s -> s.contains("advisory_lock")
                && s.lines().anyMatch(l -> l.startsWith("testdb") && cells(l).get(4).equals("1")), 30);
        assertTrue(Screens.line(hazards, "database").contains("session_set"), hazards);
    }

    static List<String> cells(String line) {
        return Arrays.asList(line.trim().split("\\s+"));
    }
}

package dev.poolctl.tui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.TerminalScreen;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import dev.poolctl.client.AdminException;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.SnapshotSource;
import dev.poolctl.tui.support.FlushedFrames;
import dev.poolctl.tui.support.Recorded;
import dev.poolctl.tui.support.Screens;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The whole loop (poller, keys, actions, redraws) on a virtual terminal, with recorded snapshots. */
@Timeout(30)
class DashboardTest {
    final DefaultVirtualTerminal terminal = new DefaultVirtualTerminal(new TerminalSize(80, 24));
    final FlushedFrames frames = new FlushedFrames(terminal);
    final List<String> commands = new CopyOnWriteArrayList<>();
    final AtomicBoolean down = new AtomicBoolean();
    /** Serve poolctl's recorded samples (their SHOW CLIENTS has an id column) instead of PgBouncer 1.18's. */
    final AtomicBoolean poolctl = new AtomicBoolean();
    Future<?> running;

    /** Alternates the two recorded PgBouncer samples; refuses while {@link #down} is set. */
    final SnapshotSource source = new SnapshotSource() {
        int n;

        @Override
        public Snapshot take() throws IOException {
            if (down.get()) {
                throw new ConnectException("connection refused");
            }
            n++;
            String kind = poolctl.get() ? "poolctl-0.1-" : "pgbouncer-1.18-";
            return Recorded.snapshot(kind + (n % 2 == 1 ? "a" : "b"), n);
        }

        @Override
        public String describe() {
            return "recorded";
        }

        @Override
        public void close() {}
    };

    void start(boolean readonly) throws IOException {
        Dashboard d = new Dashboard(new TerminalScreen(terminal), source,
                new Dashboard.Options(Duration.ofMillis(100), new AlertRules(Duration.ofSeconds(60), 0.8,
                        Duration.ofSeconds(1)), readonly ? null : this::run),
                Clock.system(ZoneOffset.UTC));
        FutureTask<Void> task = new FutureTask<>(() -> {
            d.run();
            return null;
        });
        running = task;
        Thread t = new Thread(task, "dashboard-under-test");
        t.setDaemon(true);
        t.start();
    }

    String run(String command) throws AdminException {
        commands.add(command);
        if (command.startsWith("KILL")) {
            throw new AdminException("42501", "admin access needed");
        }
        return command.split(" ")[0];
    }

    @AfterEach
    void quit() throws Exception {
        if (running != null && !running.isDone()) {
            press('q');
            running.get(10, TimeUnit.SECONDS);
        }
    }

    void press(char c) {
        terminal.addInput(new KeyStroke(c, false, false));
    }

    void press(KeyType type) {
        terminal.addInput(new KeyStroke(type));
    }

    String awaitScreen(String what, Predicate<String> condition) throws InterruptedException {
        return frames.await(what, condition, 10);
    }

    @Test
    void pauseAsksFirstThenRunsOnTheSelectedDatabaseAndShowsTheAnswer() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        press(KeyType.ArrowDown);
        press('p');
        awaitScreen("the confirmation", s -> s.contains("PAUSE postgres ?"));
        press('n');
        awaitScreen("no dialog", s -> !s.contains("PAUSE postgres ?"));
        assertTrue(commands.isEmpty(), "n cancels");
        press('p');
        awaitScreen("the confirmation", s -> s.contains("PAUSE postgres ?"));
        press('y');
        String screen = awaitScreen("the answer", s -> s.contains("PAUSE postgres: PAUSE"));
        assertEquals(List.of("PAUSE postgres"), commands);
        assertFalse(screen.contains("y = run it"));
    }

    /** In the Clients view K is KILL_CLIENT of the selected client, after a confirmation naming its id. */
    @Test
    void killClientFromTheClientsView() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        press('2');
        awaitScreen("PgBouncer 1.18's clients", s -> s.contains("state"));
        press('K');
        awaitScreen("no id column", s -> s.contains("has no id column"));
        assertTrue(commands.isEmpty());
        poolctl.set(true);
        awaitScreen("poolctl's clients with their id", s -> s.startsWith("id ", s.indexOf("\nid ") + 1)
                && s.contains(" waiting "));
        press(' '); // freeze on that frame: sample b, next, has no client
        awaitScreen("frozen with the clients", s -> s.contains("FROZEN") && s.contains(" waiting "));
        press('K');
        awaitScreen("the confirmation", s -> s.contains("KILL_CLIENT 4 ?"));
        press('y');
        awaitScreen("the console's answer", s -> s.contains("KILL_CLIENT 4 failed: admin access needed"));
        assertEquals(List.of("KILL_CLIENT 4"), commands);
    }

    @Test
    void aRefusedActionShowsTheConsolesError() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        press('K');
        press('y');
        awaitScreen("the error", s -> s.contains("KILL pgbouncer failed: admin access needed (42501)"));
    }

    @Test
    void readonlyRunsNoAction() throws Exception {
        start(true);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        press('p');
        press('y');
        press('2');
        awaitScreen("the clients view", s -> s.contains("connect_time"));
        assertTrue(commands.isEmpty());
    }

    @Test
    void viewsFilterAndHelpFollowTheKeys() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        press('5');
        awaitScreen("databases", s -> s.contains("pool_size") && s.contains("25533"));
        press('/');
        for (char c : "pgb".toCharArray()) {
            press(c);
        }
        String filtered = awaitScreen("the filter", s -> s.contains("filter: pgb_"));
        assertFalse(filtered.contains("25533"), "the postgres row is filtered out");
        press(KeyType.Enter);
        awaitScreen("the filter kept", s -> s.contains("filter 'pgb'") && !s.contains("filter: pgb_"));
        press('?');
        awaitScreen("help", s -> s.contains("keys (any key closes)"));
        press('x');
        awaitScreen("help closed", s -> !s.contains("keys (any key closes)"));
        press(' ');
        awaitScreen("frozen", s -> s.contains("FROZEN"));
    }

    @Test
    void aLostConnectionShowsReconnectingKeepsTheDataAndRecovers() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        down.set(true);
        String lost = awaitScreen("reconnecting", s -> s.contains("reconnecting... attempt"));
        assertTrue(lost.contains("connection refused"));
        assertTrue(lost.contains("postgres     postgres"), "the last snapshot stays");
        down.set(false);
        awaitScreen("recovered", s -> !s.contains("reconnecting...") && s.contains("q quit"));
    }

    @Test
    void resizeRedrawsAtTheNewSize() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("postgres     postgres"));
        terminal.setTerminalSize(new TerminalSize(160, 48));
        awaitScreen("the wide columns", s -> s.contains("sv_login") && s.contains("cl_waiting 1m00s"));
    }

    /** top --for: the dashboard quits by itself when the time is up, and the terminal is restored. */
    @Test
    void runForQuitsByItself() throws Exception {
        Dashboard d = new Dashboard(new TerminalScreen(terminal), source,
                new Dashboard.Options(Duration.ofMillis(100), new AlertRules(Duration.ofSeconds(60), 0.8,
                        Duration.ofSeconds(1)), null, Duration.ofMillis(700)), Clock.system(ZoneOffset.UTC));
        FutureTask<Void> task = new FutureTask<>(() -> {
            d.run();
            return null;
        });
        Thread t = new Thread(task, "dashboard-for");
        t.setDaemon(true);
        t.start();
        awaitScreen("pools", s -> s.contains("poolctl top"));
        task.get(10, TimeUnit.SECONDS); // no key pressed
        assertFalse(Screens.text(terminal).contains("poolctl top"), "back from the private (alternate) screen");
    }

    @Test
    void quittingRestoresTheTerminal() throws Exception {
        start(false);
        awaitScreen("pools", s -> s.contains("poolctl top"));
        press('q');
        running.get(10, TimeUnit.SECONDS);
        assertFalse(Screens.text(terminal).contains("poolctl top"), "back from the private (alternate) screen");
    }
}

package dev.poolctl.tui;

import com.googlecode.lanterna.input.KeyStroke;
import com.googlecode.lanterna.input.KeyType;
import com.googlecode.lanterna.screen.Screen;
import com.googlecode.lanterna.screen.TerminalScreen;
import dev.poolctl.client.AdminException;
import dev.poolctl.tui.input.Action;
import dev.poolctl.tui.input.KeyBindings;
import dev.poolctl.tui.model.AlertRules;
import dev.poolctl.tui.model.DashboardModel;
import dev.poolctl.tui.model.PoolRow;
import dev.poolctl.tui.model.Prompt;
import dev.poolctl.tui.model.View;
import dev.poolctl.tui.source.AdminPoller;
import dev.poolctl.tui.source.ConsoleActions;
import dev.poolctl.tui.source.ReplaySource;
import dev.poolctl.tui.source.Snapshot;
import dev.poolctl.tui.source.SnapshotSource;
import dev.poolctl.tui.view.ScreenRenderer;
import dev.poolctl.tui.view.Strings;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@code poolctl top}: wires the poller, the model and the screen. One loop thread takes {@link UiEvent}s from one
 * queue (snapshots from the poller thread, keys from the input thread, answers from the action thread), changes the
 * model and redraws; nothing else touches the model or the screen. The terminal is restored in {@code finally}
 * and, for SIGTERM, by a shutdown hook.
 */
public final class Dashboard {
    /**
     * @param actions null in --readonly
     * @param runFor how long the dashboard stays before it quits by itself (top --for), or null: until q
     */
    public record Options(Duration interval, AlertRules rules, ConsoleActions actions, Duration runFor) {
        public Options(Duration interval, AlertRules rules, ConsoleActions actions) {
            this(interval, rules, actions, null);
        }

        public boolean readonly() {
            return actions == null;
        }
    }

    /** With no news the screen still redraws this often, so "for 12s" and "next try in" move. */
    private static final long TICK_MILLIS = 1000;
    private static final long INPUT_POLL_MILLIS = 20;

    private final Screen screen;
    private final SnapshotSource source;
    private final Options options;
    private final Clock clock;
    private final BlockingQueue<UiEvent> events = new LinkedBlockingQueue<>();
    private final KeyBindings keys;
    private final ScreenRenderer renderer;
    private final DashboardModel model;
    /** top --replay: the recording played, or null live. */
    private final ReplaySource replay;

    public Dashboard(Screen screen, SnapshotSource source, Options options, Clock clock) {
        this.screen = screen;
        this.source = source;
        this.options = options;
        this.clock = clock;
        this.keys = KeyBindings.defaults(options.readonly());
        this.renderer = new ScreenRenderer(keys, clock.getZone());
        this.model = new DashboardModel(source.describe(), options.interval(), options.rules(), clock.instant());
        this.replay = source instanceof ReplaySource r ? r : null;
    }

    /** Puts an event on the loop's queue; for tests and the input and poller threads. */
    public void post(UiEvent e) {
        events.add(e);
    }

    /** Runs until the operator quits; the terminal is back to normal when this returns or throws. */
    public void run() throws IOException, InterruptedException {
        AdminPoller poller = new AdminPoller(source, options.interval(), new AdminPoller.Listener() {
            @Override
            public void snapshot(Snapshot s) {
                post(new UiEvent.SnapshotReady(s));
            }

            @Override
            public void failed(Exception error, int attempt, Duration retryIn) {
                post(new UiEvent.PollFailed(describe(error), attempt, retryIn));
            }
        });
        ExecutorService actionThread = Executors.newSingleThreadExecutor(r -> daemon(r, "poolctl-top-action"));
        Thread restoreOnExit = new Thread(this::stopScreenQuietly, "poolctl-top-restore");
        screen.startScreen();
        Runtime.getRuntime().addShutdownHook(restoreOnExit);
        Thread input = daemon(this::readKeys, "poolctl-top-input");
        try {
            screen.setCursorPosition(null);
            if (screen instanceof TerminalScreen ts) {
                ts.getTerminal().addResizeListener((t, size) -> post(new UiEvent.Resized()));
            }
            input.start();
            poller.start();
            redraw(false);
            long end = options.runFor() == null ? Long.MAX_VALUE : System.nanoTime() + options.runFor().toNanos();
            boolean running = true;
            while (running) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    break; // --for is over: as if q was pressed
                }
                UiEvent e = events.poll(Math.min(TICK_MILLIS, TimeUnit.NANOSECONDS.toMillis(left) + 1),
                        TimeUnit.MILLISECONDS);
                running = handle(e == null ? new UiEvent.Tick() : e, poller, actionThread);
                boolean resized = e instanceof UiEvent.Resized;
                // Apply everything already queued before drawing, so a burst of keys does not lag behind.
                while (running && (e = events.poll()) != null) {
                    running = handle(e, poller, actionThread);
                    resized |= e instanceof UiEvent.Resized;
                }
                if (running) {
                    redraw(resized);
                }
            }
        } finally {
            input.interrupt();
            poller.close();
            actionThread.shutdownNow();
            stopScreenQuietly();
            try {
                Runtime.getRuntime().removeShutdownHook(restoreOnExit);
            } catch (IllegalStateException exiting) {
                // Already shutting down: the hook runs anyway and stopping twice is harmless.
            }
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /**
     * Polls rather than blocks: a blocking read holds some terminals' lock (Lanterna's virtual terminal) and would
     * stall every redraw. 20 ms between polls is below what a typist notices.
     */
    private void readKeys() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                KeyStroke k = screen.pollInput();
                if (k == null) {
                    Thread.sleep(INPUT_POLL_MILLIS);
                } else if (k.getKeyType() == KeyType.EOF) {
                    post(new UiEvent.Quit());
                    return;
                } else {
                    post(new UiEvent.KeyPressed(k));
                }
            }
        } catch (InterruptedException e) {
            // run() is done with us.
        } catch (IOException | RuntimeException e) {
            post(new UiEvent.Quit());
        }
    }

    private void redraw(boolean resized) throws IOException {
        screen.doResizeIfNecessary();
        renderer.draw(screen.newTextGraphics(), screen.getTerminalSize(), model);
        screen.refresh(resized ? Screen.RefreshType.COMPLETE : Screen.RefreshType.DELTA);
    }

    /** @return false to quit */
    boolean handle(UiEvent e, AdminPoller poller, ExecutorService actionThread) {
        // Java 17 has no pattern switch; the sealed UiEvent keeps this list complete.
        if (e instanceof UiEvent.SnapshotReady s) {
            // A replay shows the recorded time: durations and alerts run on it, not on today's clock.
            model.apply(s.snapshot(), replay != null ? s.snapshot().takenAt() : clock.instant());
            if (replay != null) {
                model.replay(replay.position() + (replay.paused() ? ", paused" : ""));
            }
        } else if (e instanceof UiEvent.PollFailed f && replay != null) {
            model.message(f.error()); // the end of the recording, or a line that is not one
        } else if (e instanceof UiEvent.PollFailed f) {
            model.pollFailed(f.error(), f.attempt(), f.retryIn(), clock.instant());
        } else if (e instanceof UiEvent.ActionDone d) {
            model.message(String.format(d.failed() ? Strings.FAILED : Strings.ANSWERED, d.command(), d.answer()));
            poller.pollNow();
        } else if (e instanceof UiEvent.KeyPressed k) {
            return onKey(k.key(), poller, actionThread);
        } else if (e instanceof UiEvent.Quit) {
            return false;
        } else if (replay == null) {
            model.tick(clock.instant());
        }
        return true;
    }

    private boolean onKey(KeyStroke k, AdminPoller poller, ExecutorService actionThread) {
        Prompt p = model.prompt();
        if (p instanceof Prompt.Filter f) {
            editFilter(f, k);
            return true;
        }
        if (p instanceof Prompt.Confirm c) {
            model.prompt(Prompt.NONE);
            Character ch = k.getCharacter();
            if (k.getKeyType() == KeyType.Character && ch != null && (ch == 'y' || ch == 'Y')) {
                run(c.command(), c.instance(), actionThread);
            }
            return true;
        }
        if (p instanceof Prompt.Help || p instanceof Prompt.WaitDetail) {
            model.prompt(Prompt.NONE);
            return true;
        }
        Action a = keys.action(k).orElse(null);
        if (a == null) {
            return true;
        }
        model.message("");
        int page = Math.max(1, screen.getTerminalSize().getRows() - 10);
        switch (a) {
            case VIEW_POOLS, VIEW_CLIENTS, VIEW_SERVERS, VIEW_STATS, VIEW_DATABASES, VIEW_CONFIG, VIEW_HAZARDS,
                    VIEW_FLEET ->
                    model.view(View.values()[a.ordinal() - Action.VIEW_POOLS.ordinal()]);
            case NEXT_VIEW -> {
                View next = model.view().next();
                model.view(next == View.FLEET && !model.fleet().isFleet() ? next.next() : next);
            }
            case UP -> model.moveSelection(-1);
            case DOWN -> model.moveSelection(1);
            case PAGE_UP -> model.moveSelection(-page);
            case PAGE_DOWN -> model.moveSelection(page);
            case FILTER -> model.prompt(new Prompt.Filter(model.state(model.view()).filter()));
            case WHY -> {
                if (model.view() == View.FLEET) {
                    model.focusSelectedInstance();
                    poller.pollNow();
                    return true;
                }
                PoolRow pool = model.selectedPool();
                if (pool == null) {
                    model.message(Strings.NO_POOL);
                } else {
                    model.prompt(new Prompt.WaitDetail(pool.database(), pool.user()));
                }
            }
            case SORT -> model.cycleSort();
            case REVERSE_SORT -> model.reverseSort();
            case SLOWER -> poller.interval(model.stepInterval(1));
            case FASTER -> poller.interval(model.stepInterval(-1));
            case FREEZE -> {
                if (replay != null) {
                    replay.paused(!replay.paused());
                    poller.pollNow();
                } else {
                    model.toggleFreeze();
                }
            }
            case STEP -> {
                if (replay != null && replay.paused()) {
                    replay.step();
                    poller.pollNow();
                }
            }
            case HELP -> model.prompt(new Prompt.Help());
            case QUIT -> {
                return false;
            }
            case RELOAD -> model.prompt(new Prompt.Confirm("RELOAD"));
            case KILL -> {
                if (model.view() == View.CLIENTS) {
                    // In the Clients view K is KILL_CLIENT of the selected client (PgBouncer 1.23's, and poolctl's)
                    dev.poolctl.tui.source.Row client = model.selectedRow();
                    String id = client == null ? null : client.text("id");
                    if (id == null || id.isEmpty()) {
                        model.message(Strings.NO_CLIENT_ID);
                    } else {
                        model.prompt(new Prompt.Confirm("KILL_CLIENT " + id, client.text("instance")));
                    }
                    return true;
                }
                String db = model.selectedDatabase();
                if (db == null || db.isEmpty()) {
                    model.message(Strings.NO_DATABASE);
                } else {
                    model.prompt(new Prompt.Confirm(a.name() + " " + db));
                }
            }
            case PAUSE, RESUME, RECONNECT -> {
                String db = model.selectedDatabase();
                if (db == null || db.isEmpty()) {
                    model.message(Strings.NO_DATABASE);
                } else {
                    model.prompt(new Prompt.Confirm(a.name() + " " + db));
                }
            }
        }
        return true;
    }

    private void editFilter(Prompt.Filter f, KeyStroke k) {
        switch (k.getKeyType()) {
            case Enter -> model.prompt(Prompt.NONE);
            case Escape -> {
                model.filter("");
                model.prompt(Prompt.NONE);
            }
            case Backspace -> {
                String t = f.text().isEmpty() ? "" : f.text().substring(0, f.text().length() - 1);
                model.filter(t);
                model.prompt(new Prompt.Filter(t));
            }
            case Character -> {
                String t = f.text() + k.getCharacter();
                model.filter(t);
                model.prompt(new Prompt.Filter(t));
            }
            default -> { }
        }
    }

    private void run(String command, String instance, ExecutorService actionThread) {
        if (options.readonly()) {
            model.message(Strings.READONLY);
            return;
        }
        model.message(String.format(Strings.RUNNING, command));
        String focus = instance != null ? instance : model.fleet().focus();
        actionThread.execute(() -> {
            try {
                post(new UiEvent.ActionDone(command, options.actions().run(command, focus), false));
            } catch (Exception e) {
                post(new UiEvent.ActionDone(command, describe(e), true));
            }
        });
    }

    /** An error as one line: the console's own message, or what broke. */
    static String describe(Exception e) {
        if (e instanceof AdminException a) {
            return a.sqlState().isEmpty() ? a.getMessage() : a.getMessage() + " (" + a.sqlState() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private void stopScreenQuietly() {
        try {
            screen.stopScreen();
        } catch (IOException | RuntimeException ignored) {
            // Restoring the terminal is best effort; there is nowhere left to report to.
        }
    }
}

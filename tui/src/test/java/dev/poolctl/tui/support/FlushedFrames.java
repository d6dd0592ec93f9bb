package dev.poolctl.tui.support;

import com.googlecode.lanterna.TerminalSize;
import com.googlecode.lanterna.terminal.Terminal;
import com.googlecode.lanterna.terminal.virtual.DefaultVirtualTerminal;
import com.googlecode.lanterna.terminal.virtual.VirtualTerminalListener;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * The screens a running dashboard has finished drawing. Reading the virtual terminal cell by cell while the
 * dashboard's thread refreshes it can see half a frame (seen in CI: a new alert line half written over the old
 * panel); a frame taken when the screen flushes, which Lanterna does at the end of every refresh and under the
 * terminal's lock, is whole.
 */
public final class FlushedFrames {
    private volatile String last = "";

    public FlushedFrames(DefaultVirtualTerminal terminal) {
        terminal.addVirtualTerminalListener(new VirtualTerminalListener() {
            @Override
            public void onFlush() {
                last = Screens.text(terminal);
            }

            @Override
            public void onBell() {}

            @Override
            public void onClose() {}

            @Override
            public void onResized(Terminal t, TerminalSize size) {}
        });
    }

    /** Waits until a whole frame satisfies {@code condition} and returns it; fails with the last frame. */
    public String await(String what, Predicate<String> condition, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        String frame = last;
        while (!condition.test(frame)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + what + "; last frame:\n" + frame);
            }
            Thread.sleep(10);
            frame = last;
        }
        return frame;
    }
}

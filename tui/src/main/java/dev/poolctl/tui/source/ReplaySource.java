package dev.poolctl.tui.source;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * top --replay: the snapshots of a recording, one per poll, so the dashboard shows them as it showed them live
 * (faster or slower with its refresh keys). Paused, it gives the same snapshot again; a step moves on by one. At the
 * end it fails with {@link EndOfRecording}. Lines are read one at a time (bounded), never the whole file.
 */
public final class ReplaySource implements SnapshotSource {
    /**
     * Longest line read: a client's SHOW CLIENTS row is a few hundred characters, so this holds tens of thousands of
     * clients and still fits the 256 MB heap the launcher gives poolctl.
     */
    static final int MAX_LINE_CHARS = 16 << 20;

    /** The recording has no more snapshots. */
    public static final class EndOfRecording extends EOFException {
        private static final long serialVersionUID = 1L;

        EndOfRecording(String message) {
            super(message);
        }
    }

    private final Path file;
    private final BufferedReader in;
    private final int frames;
    private int frame;
    private Snapshot current;
    private volatile boolean paused;
    private volatile boolean step;

    public ReplaySource(Path file) throws IOException {
        this.file = file;
        this.frames = countLines(file);
        this.in = Files.newBufferedReader(file, StandardCharsets.UTF_8);
    }

    private static int countLines(Path file) throws IOException {
        int n = 0;
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int c;
            boolean any = false;
            while ((c = r.read()) >= 0) {
                any = true;
                if (c == '\n') {
                    n++;
                    any = false;
                }
            }
            return any ? n + 1 : n;
        }
    }

    @Override
    public synchronized Snapshot take() throws IOException {
        if (current != null && paused && !step) {
            return current;
        }
        step = false;
        String line = nextLine();
        if (line == null) {
            throw new EndOfRecording("end of the recording (" + frame + " snapshots)");
        }
        try {
            current = RecordFormat.read(line);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + " line " + (frame + 1) + ": " + e.getMessage());
        }
        frame++;
        return current;
    }

    private String nextLine() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return sb.toString();
            }
            if (sb.length() >= MAX_LINE_CHARS) {
                throw new IOException(file + " line " + (frame + 1) + " is longer than " + MAX_LINE_CHARS
                        + " characters: not a recording");
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** The last two snapshots of {@code file} (--once on a recording), read line by line; null if it has fewer. */
    public static Snapshot[] lastTwo(Path file) throws IOException {
        try (ReplaySource r = new ReplaySource(file)) {
            String before = null;
            String last = null;
            String line;
            while ((line = r.nextLine()) != null) {
                before = last;
                last = line;
                r.frame++;
            }
            if (before == null) {
                return null;
            }
            try {
                return new Snapshot[] {RecordFormat.read(before), RecordFormat.read(last)};
            } catch (IllegalArgumentException e) {
                throw new IOException(file + ": " + e.getMessage());
            }
        }
    }

    /** Space while replaying: the same snapshot until unpaused. */
    public void paused(boolean p) {
        paused = p;
    }

    public boolean paused() {
        return paused;
    }

    /** While paused: the next poll moves on by one snapshot. */
    public void step() {
        step = true;
    }

    /** {@code snapshot N of M}: where the replay is. */
    public String position() {
        return "snapshot " + frame + " of " + frames;
    }

    @Override
    public String describe() {
        return "replay of " + file.getFileName();
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException ignored) {
            // reading only
        }
    }
}

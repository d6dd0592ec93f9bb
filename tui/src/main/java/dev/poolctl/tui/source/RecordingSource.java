package dev.poolctl.tui.source;

import dev.poolctl.client.AdminException;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * top --record: every snapshot taken is appended to a file as one JSON line ({@link RecordFormat}), flushed at once
 * so a crash keeps what was seen. The file is bounded: past {@code maxBytes} it becomes {@code FILE.1} (replacing
 * an older one) and a new file starts, so at most about twice the bound is kept. A write that fails stops the
 * recording (the dashboard goes on) and {@link #problem} says why.
 */
public final class RecordingSource implements SnapshotSource {
    private final SnapshotSource inner;
    private final Path file;
    private final long maxBytes;
    private BufferedWriter out;
    private long written;
    private volatile String problem;

    public RecordingSource(SnapshotSource inner, Path file, long maxBytes) throws IOException {
        this.inner = inner;
        this.file = file;
        this.maxBytes = maxBytes;
        open();
    }

    private void open() throws IOException {
        out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                StandardOpenOption.APPEND);
        written = Files.size(file);
    }

    @Override
    public Snapshot take() throws IOException, AdminException {
        Snapshot s = inner.take();
        if (out != null) {
            try {
                String line = RecordFormat.write(s);
                long bytes = line.getBytes(StandardCharsets.UTF_8).length + 1L; // the bound is in bytes, as the file
                if (written > 0 && written + bytes > maxBytes) {
                    out.close();
                    Files.move(file, file.resolveSibling(file.getFileName() + ".1"),
                            StandardCopyOption.REPLACE_EXISTING);
                    open();
                }
                out.write(line);
                out.write('\n');
                out.flush();
                written += bytes;
            } catch (IOException e) {
                problem = "recording to " + file + " stopped: " + e.getMessage();
                closeQuietly();
            }
        }
        return s;
    }

    /** Why the recording stopped, or null while it runs. */
    public String problem() {
        return problem;
    }

    private void closeQuietly() {
        try {
            if (out != null) {
                out.close();
            }
        } catch (IOException ignored) {
            // already reported, or nothing more to lose
        }
        out = null;
    }

    @Override
    public String describe() {
        return inner.describe();
    }

    @Override
    public void close() {
        closeQuietly();
        inner.close();
    }
}

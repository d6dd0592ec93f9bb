package dev.poolctl.tui.source;

import dev.poolctl.client.AdminException;
import java.io.IOException;

/** Where snapshots come from: a live admin console, or recorded output in tests. Called from one thread. */
public interface SnapshotSource extends AutoCloseable {
    /** Takes one snapshot; a failure leaves the source ready to try again (reconnecting if it must). */
    Snapshot take() throws IOException, AdminException;

    /** Describes the target for the header, e.g. {@code 127.0.0.1:6432}. */
    String describe();

    @Override
    void close();
}

package dev.poolctl.tui.source;

import dev.poolctl.client.AdminClient;
import dev.poolctl.client.AdminException;
import java.io.IOException;
import java.time.Clock;
import java.util.EnumMap;
import java.util.Map;

/**
 * Snapshots from a live admin console, poolctl's or PgBouncer's. Holds one connection and opens a new one on the
 * next {@link #take()} after it broke. A SHOW the target refuses (an older PgBouncer, or a stats_user without
 * rights) leaves that list out instead of failing the whole snapshot.
 */
public final class AdminSnapshotSource implements SnapshotSource {
    /** Opens and logs in one admin-console connection. */
    @FunctionalInterface
    public interface Connector {
        AdminClient connect() throws IOException, AdminException;
    }

    private final Connector connector;
    private final String description;
    private final Clock clock;
    private AdminClient client;
    private String version = "";

    public AdminSnapshotSource(Connector connector, String description, Clock clock) {
        this.connector = connector;
        this.description = description;
        this.clock = clock;
    }

    @Override
    public Snapshot take() throws IOException, AdminException {
        if (client == null) {
            AdminClient c = connector.connect();
            try {
                version = firstValue(c.query("SHOW VERSION"));
            } catch (IOException | AdminException | RuntimeException e) {
                c.close();
                throw e;
            }
            client = c;
        }
        Map<Show, Table> tables = new EnumMap<>(Show.class);
        long nanos = System.nanoTime();
        try {
            for (Show show : Show.values()) {
                if (!show.askedOf(version)) {
                    continue;
                }
                try {
                    AdminClient.Result r = client.query(show.sql());
                    tables.put(show, new Table(r.columns(), r.rows()));
                } catch (AdminException refused) {
                    // The session survives an ErrorResponse; the list is just not there.
                }
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        return new Snapshot(nanos, clock.instant(), version, tables);
    }

    private static String firstValue(AdminClient.Result r) {
        return r.rows().isEmpty() || r.rows().get(0).isEmpty() ? "" : String.valueOf(r.rows().get(0).get(0));
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        if (client != null) {
            client.close();
            client = null;
        }
    }
}

package dev.poolctl.tui.source;

import dev.poolctl.client.AdminException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Snapshots of several poolers at once (poolctl top with a fleet): each instance is polled on its own connection,
 * all at the same time; one that is down or refuses is in the snapshot as down with why, and never holds up the
 * others. Only when none answers does the snapshot fail (the dashboard then shows reconnecting).
 */
public final class FleetSnapshotSource implements SnapshotSource {
    private final List<String> names;
    private final List<SnapshotSource> sources;
    private final ExecutorService pollers;

    /** {@code sources} one per instance, named by {@code names} (HOST:PORT), in fleet order. */
    public FleetSnapshotSource(List<String> names, List<SnapshotSource> sources) {
        if (names.size() != sources.size() || names.isEmpty()) {
            throw new IllegalArgumentException("one name per source, at least one");
        }
        this.names = List.copyOf(names);
        this.sources = List.copyOf(sources);
        this.pollers = Executors.newFixedThreadPool(Math.min(8, sources.size()), r -> {
            Thread t = new Thread(r, "poolctl-top-fleet");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public Snapshot take() throws IOException, AdminException {
        List<Future<Snapshot>> futures = new ArrayList<>();
        for (SnapshotSource s : sources) {
            futures.add(pollers.submit(s::take));
        }
        List<Snapshot.Instance> instances = new ArrayList<>();
        List<Map.Entry<String, Snapshot>> up = new ArrayList<>();
        for (int i = 0; i < futures.size(); i++) {
            try {
                Snapshot s = futures.get(i).get();
                instances.add(new Snapshot.Instance(names.get(i), s, null));
                up.add(Map.entry(names.get(i), s));
            } catch (ExecutionException e) {
                instances.add(new Snapshot.Instance(names.get(i), null, describe(e.getCause())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted");
            }
        }
        if (up.isEmpty()) {
            throw new IOException("no instance of the fleet answers (" + instances.get(0).name() + ": "
                    + instances.get(0).error() + ")");
        }
        String version = up.stream().map(e -> e.getValue().version()).distinct().count() == 1
                ? up.get(0).getValue().version() : "mixed versions";
        // The first answering instance's times: rates of the sums then span what the counters span.
        Snapshot first = up.get(0).getValue();
        return new Snapshot(first.monotonicNanos(), first.takenAt(), version, FleetTables.merge(up), instances);
    }

    private static String describe(Throwable e) {
        if (e instanceof AdminException a) {
            return a.sqlState().isEmpty() ? a.getMessage() : a.getMessage() + " (" + a.sqlState() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    @Override
    public String describe() {
        return "fleet of " + names.size();
    }

    @Override
    public void close() {
        pollers.shutdownNow();
        for (SnapshotSource s : sources) {
            s.close();
        }
    }
}

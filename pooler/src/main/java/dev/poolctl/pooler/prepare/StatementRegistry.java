package dev.poolctl.pooler.prepare;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The pooler-wide table of distinct statements (PgBouncer's global prepared statement hash): query text plus
 * parameter types to {@link SharedStatement}. An entry lives while something refers to it, so a client that
 * prepares ever new texts does not grow the pooler without bound. Confined to one event loop: each loop has its
 * own, numbered from one shared counter so that the names stay unique in the process.
 */
public final class StatementRegistry {
    private final Map<Integer, List<SharedStatement>> byHash = new HashMap<>();
    private final java.util.function.LongSupplier ids;
    private int size;

    public StatementRegistry(java.util.function.LongSupplier ids) {
        this.ids = ids;
    }

    /** A registry with its own numbering (one loop, tests). */
    public StatementRegistry() {
        this(new java.util.concurrent.atomic.AtomicLong()::incrementAndGet);
    }

    /** The statement for this Parse body (after the name), created if new; the caller owns one reference. */
    public SharedStatement acquire(byte[] queryAndTypes) {
        int hash = Arrays.hashCode(queryAndTypes);
        List<SharedStatement> bucket = byHash.computeIfAbsent(hash, h -> new ArrayList<>(1));
        for (SharedStatement s : bucket) {
            if (s.sameQuery(queryAndTypes, hash)) {
                s.refs++;
                return s;
            }
        }
        SharedStatement s = new SharedStatement("PGBOUNCER_" + ids.getAsLong(), queryAndTypes, hash);
        s.refs = 1;
        bucket.add(s);
        size++;
        return s;
    }

    /** One more reference to a statement already held. */
    public void acquire(SharedStatement s) {
        s.refs++;
    }

    public void release(SharedStatement s) {
        if (--s.refs > 0) {
            return;
        }
        List<SharedStatement> bucket = byHash.get(s.hash());
        if (bucket != null && bucket.remove(s)) {
            size--;
            if (bucket.isEmpty()) {
                byHash.remove(s.hash());
            }
        }
    }

    /** Distinct statements known now. */
    public int size() {
        return size;
    }
}

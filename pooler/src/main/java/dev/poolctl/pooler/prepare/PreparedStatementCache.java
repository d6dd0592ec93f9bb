package dev.poolctl.pooler.prepare;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The shared statements one server connection has prepared, least recently used first (PgBouncer keeps at most
 * {@code max_prepared_statements} per server and Closes the oldest). Each entry holds a registry reference.
 */
public final class PreparedStatementCache {
    private final StatementRegistry registry;
    private final LinkedHashMap<SharedStatement, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true);

    public PreparedStatementCache(StatementRegistry registry) {
        this.registry = registry;
    }

    /** Whether the server has {@code s}; if so it becomes the most recently used. */
    public boolean use(SharedStatement s) {
        return lru.get(s) != null;
    }

    public boolean contains(SharedStatement s) {
        return lru.containsKey(s);
    }

    /** Records that a Parse of {@code s} was sent to the server. */
    public void add(SharedStatement s) {
        registry.acquire(s);
        lru.put(s, Boolean.TRUE);
    }

    /** Removes and returns the least recently used statement; the caller takes over its reference. */
    public SharedStatement evictOldest() {
        Iterator<SharedStatement> it = lru.keySet().iterator();
        SharedStatement oldest = it.next();
        it.remove();
        return oldest;
    }

    /** A Close that was never carried out: the server still has {@code s}; takes over the caller's reference. */
    public void putBack(SharedStatement s) {
        if (lru.putIfAbsent(s, Boolean.TRUE) != null) {
            registry.release(s);
        }
    }

    /** A Parse that the server never carried out. */
    public void remove(SharedStatement s) {
        if (lru.remove(s) != null) {
            registry.release(s);
        }
    }

    /** The server dropped all its statements (DISCARD ALL, DEALLOCATE ALL) or the connection ended. */
    public void clear() {
        lru.keySet().forEach(registry::release);
        lru.clear();
    }

    public int size() {
        return lru.size();
    }
}

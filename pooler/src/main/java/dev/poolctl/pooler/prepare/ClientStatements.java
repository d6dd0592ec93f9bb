package dev.poolctl.pooler.prepare;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * One client's named prepared statements: the name the client gave in Parse to the shared statement it stands
 * for. Each entry holds a reference in the registry.
 */
public final class ClientStatements {
    private final StatementRegistry registry;
    private final Map<String, SharedStatement> byName = new HashMap<>();
    /** Names whose Parse the server never carried out: still usable, and free for a new Parse. */
    private final Set<String> undone = new HashSet<>();

    public ClientStatements(StatementRegistry registry) {
        this.registry = registry;
    }

    public SharedStatement get(String name) {
        return byName.get(name);
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** Whether a Parse of {@code name} is a duplicate (42P05): the name is mapped and its Parse was carried out. */
    public boolean inUse(String name) {
        return byName.containsKey(name) && !undone.contains(name);
    }

    /** Maps {@code name}, taking over the caller's reference to {@code s}. */
    public void put(String name, SharedStatement s) {
        undone.remove(name);
        SharedStatement old = byName.put(name, s);
        if (old != null) {
            registry.release(old);
        }
    }

    /** The client closed the name (Close of a statement). */
    public void close(String name) {
        undone.remove(name);
        SharedStatement s = byName.remove(name);
        if (s != null) {
            registry.release(s);
        }
    }

    /**
     * A Parse that the server never carried out (an error earlier in the pipeline, or its own). The name stays
     * mapped, as in PgBouncer: a client that took it as prepared (psycopg's pipeline) Binds it, and the pooler
     * Parses it on the server first. As on PostgreSQL, a new Parse of the name is no duplicate either.
     */
    public void undone(String name, SharedStatement s) {
        if (byName.get(name) == s) {
            undone.add(name);
        }
    }

    /** The client Bound or Described {@code name}: from now on it counts as prepared. */
    public void used(String name) {
        if (!undone.isEmpty()) {
            undone.remove(name);
        }
    }

    /** DEALLOCATE ALL / DISCARD ALL, and the client's end. */
    public void clear() {
        byName.values().forEach(registry::release);
        byName.clear();
        undone.clear();
    }

    public int size() {
        return byName.size();
    }
}

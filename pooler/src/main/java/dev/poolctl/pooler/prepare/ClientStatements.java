package dev.poolctl.pooler.prepare;

import java.util.HashMap;
import java.util.Map;

/**
 * One client's named prepared statements: the name the client gave in Parse to the shared statement it stands
 * for. Each entry holds a reference in the registry.
 */
public final class ClientStatements {
    private final StatementRegistry registry;
    private final Map<String, SharedStatement> byName = new HashMap<>();

    public ClientStatements(StatementRegistry registry) {
        this.registry = registry;
    }

    public SharedStatement get(String name) {
        return byName.get(name);
    }

    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    /** Maps {@code name}, taking over the caller's reference to {@code s}. */
    public void put(String name, SharedStatement s) {
        SharedStatement old = byName.put(name, s);
        if (old != null) {
            registry.release(old);
        }
    }

    /** The client closed the name (Close of a statement). */
    public void close(String name) {
        SharedStatement s = byName.remove(name);
        if (s != null) {
            registry.release(s);
        }
    }

    /** Undoes a Parse that the server never carried out (an error earlier in the pipeline, or its own). */
    public void forget(String name, SharedStatement s) {
        if (byName.remove(name, s)) {
            registry.release(s);
        }
    }

    /** DEALLOCATE ALL / DISCARD ALL, and the client's end. */
    public void clear() {
        byName.values().forEach(registry::release);
        byName.clear();
    }

    public int size() {
        return byName.size();
    }
}

package dev.poolctl.pooler.prepare;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The registry's shared names and reference counts, the client map and the per-server LRU. */
class StatementRegistryTest {
    private final StatementRegistry registry = new StatementRegistry();

    private static byte[] text(String sql) {
        return (sql + "\0\0\0").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void sameTextSharesOneNameOtherTextGetsAnother() {
        SharedStatement a = registry.acquire(text("SELECT 1"));
        SharedStatement b = registry.acquire(text("SELECT 1"));
        SharedStatement c = registry.acquire(text("SELECT 2"));

        assertSame(a, b);
        assertEquals("PGBOUNCER_1", a.name());
        assertEquals("PGBOUNCER_2", c.name());
        assertEquals(2, registry.size());
    }

    @Test
    void parameterTypesArePartOfTheIdentity() {
        byte[] untyped = text("SELECT $1");
        byte[] typed = "SELECT $1\0\0\1\0\0\0\27".getBytes(StandardCharsets.ISO_8859_1);
        assertNotEquals(registry.acquire(untyped).name(), registry.acquire(typed).name());
    }

    @Test
    void lastReferenceGoneRemovesItAndTheNameIsNeverReused() {
        SharedStatement a = registry.acquire(text("SELECT 1"));
        registry.acquire(a);
        registry.release(a);
        assertEquals(1, registry.size());
        registry.release(a);
        assertEquals(0, registry.size());

        assertEquals("PGBOUNCER_2", registry.acquire(text("SELECT 1")).name());
    }

    @Test
    void clientNamesHoldReferences() {
        ClientStatements client = new ClientStatements(registry);
        SharedStatement a = registry.acquire(text("SELECT 1"));
        client.put("s1", a);
        assertTrue(client.contains("s1"));

        client.undone("s1", registry.acquire(text("SELECT 2"))); // another statement: not this name's
        assertTrue(client.inUse("s1"));
        client.undone("s1", a); // its Parse never ran: still mapped, free for a new Parse
        assertTrue(client.contains("s1"));
        assertFalse(client.inUse("s1"));
        client.put("s1", registry.acquire(text("SELECT 1")));
        assertTrue(client.inUse("s1"), "parsed again");
        client.close("s1");
        assertFalse(client.contains("s1"));
        assertEquals(1, registry.size(), "SELECT 2 still referenced by this test");
    }

    @Test
    void cacheEvictsTheLeastRecentlyUsed() {
        PreparedStatementCache cache = new PreparedStatementCache(registry);
        SharedStatement a = registry.acquire(text("a"));
        SharedStatement b = registry.acquire(text("b"));
        SharedStatement c = registry.acquire(text("c"));
        cache.add(a);
        cache.add(b);
        cache.add(c);
        assertTrue(cache.use(a)); // a is now the most recent: b is the oldest

        assertSame(b, cache.evictOldest());
        assertSame(c, cache.evictOldest());
        assertEquals(1, cache.size());
        assertFalse(cache.contains(b));

        cache.putBack(b);
        assertTrue(cache.contains(b));
        cache.clear();
        assertEquals(0, cache.size());
    }
}

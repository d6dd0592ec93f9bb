package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ScramKeyCacheTest {
    @Test
    void aPlainPasswordIsDerivedOncePerPassword() {
        ScramSecret first = ScramKeyCache.forPlainPassword("cache_user", "pw1", ScramSecret.DEFAULT_ITERATIONS);
        assertSame(first, ScramKeyCache.forPlainPassword("cache_user", "pw1", ScramSecret.DEFAULT_ITERATIONS));
        assertEquals(first, ScramSecret.fromPassword("pw1", first.salt(), first.iterations()), "a real derivation");

        // The password changed (a reload): a new secret, and it checks the new password.
        ScramSecret changed = ScramKeyCache.forPlainPassword("cache_user", "pw2", ScramSecret.DEFAULT_ITERATIONS);
        assertNotEquals(first, changed);
        assertEquals(changed, ScramSecret.fromPassword("pw2", changed.salt(), changed.iterations()));
        assertSame(changed, ScramKeyCache.forPlainPassword("cache_user", "pw2", ScramSecret.DEFAULT_ITERATIONS));
        // scram_iterations changed (SET, RELOAD): derived again with the new count, then cached with it
        ScramSecret more = ScramKeyCache.forPlainPassword("cache_user", "pw2", 5000);
        assertEquals(5000, more.iterations());
        assertEquals(more, ScramSecret.fromPassword("pw2", more.salt(), 5000));
        assertSame(more, ScramKeyCache.forPlainPassword("cache_user", "pw2", 5000));
        assertEquals(1000, ScramKeyCache.mockSecret("nobody", 1000).iterations(), "mock exchanges show the same count");
    }

    @Test
    void cleartextCheckAgainstAScramSecretRemembersTheLastSuccess() {
        ScramSecret secret = ScramSecret.fromPassword("right", new byte[] {1, 2, 3, 4}, 4096);
        assertFalse(ScramKeyCache.verifyPlain(secret, "wrong"));
        int before = ScramKeyCache.size();
        assertTrue(ScramKeyCache.verifyPlain(secret, "right"));
        assertEquals(before + 1, ScramKeyCache.size());
        assertTrue(ScramKeyCache.verifyPlain(secret, "right"));
        assertEquals(before + 1, ScramKeyCache.size(), "second success from the cache");
        assertFalse(ScramKeyCache.verifyPlain(secret, "wrong"));
    }

    @Test
    void mockSecretsHaveAStableSaltPerNameAndMatchNoPassword() {
        ScramSecret a = ScramKeyCache.mockSecret("nobody", ScramSecret.DEFAULT_ITERATIONS);
        ScramSecret again = ScramKeyCache.mockSecret("nobody", ScramSecret.DEFAULT_ITERATIONS);
        assertArrayEquals(a.salt(), again.salt());
        assertFalse(Arrays.equals(a.salt(), ScramKeyCache.mockSecret("somebody", ScramSecret.DEFAULT_ITERATIONS).salt()));
        assertEquals(ScramSecret.DEFAULT_SALT_LENGTH, a.salt().length);
        assertEquals(ScramSecret.DEFAULT_ITERATIONS, a.iterations());
        assertFalse(Arrays.equals(a.storedKey(), again.storedKey()), "keys are random: no password matches");
        for (String guess : new String[] {"", "nobody", "password"}) {
            assertNotEquals(a, ScramSecret.fromPassword(guess, a.salt(), a.iterations()));
        }
    }
}

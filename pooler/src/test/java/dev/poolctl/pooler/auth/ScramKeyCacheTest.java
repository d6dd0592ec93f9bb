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
        ScramSecret first = ScramKeyCache.forPlainPassword("cache_user", "pw1");
        assertSame(first, ScramKeyCache.forPlainPassword("cache_user", "pw1"));
        assertEquals(first, ScramSecret.fromPassword("pw1", first.salt(), first.iterations()), "a real derivation");

        // The password changed (a reload): a new secret, and it checks the new password.
        ScramSecret changed = ScramKeyCache.forPlainPassword("cache_user", "pw2");
        assertNotEquals(first, changed);
        assertEquals(changed, ScramSecret.fromPassword("pw2", changed.salt(), changed.iterations()));
        assertSame(changed, ScramKeyCache.forPlainPassword("cache_user", "pw2"));
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
        ScramSecret a = ScramKeyCache.mockSecret("nobody");
        ScramSecret again = ScramKeyCache.mockSecret("nobody");
        assertArrayEquals(a.salt(), again.salt());
        assertFalse(Arrays.equals(a.salt(), ScramKeyCache.mockSecret("somebody").salt()));
        assertEquals(ScramSecret.DEFAULT_SALT_LENGTH, a.salt().length);
        assertEquals(ScramSecret.DEFAULT_ITERATIONS, a.iterations());
        assertFalse(Arrays.equals(a.storedKey(), again.storedKey()), "keys are random: no password matches");
        for (String guess : new String[] {"", "nobody", "password"}) {
            assertNotEquals(a, ScramSecret.fromPassword(guess, a.salt(), a.iterations()));
        }
    }
}

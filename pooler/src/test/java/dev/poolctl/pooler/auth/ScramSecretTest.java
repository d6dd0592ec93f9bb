package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ScramSecretTest {
    // rolpassword from PostgreSQL 15 for PASSWORD 'pencil' (password_encryption=scram-sha-256).
    static final String PG_PENCIL =
            "SCRAM-SHA-256$4096:mFIPn05m9juPW6iGLlhSFw==$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8="
                    + ":9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=";
    // PostgreSQL 15 for PASSWORD E'p\u00e4ss\u2168\u00adword': SASLprep drops the soft hyphen, NFKC makes IX.
    static final String PG_UNICODE =
            "SCRAM-SHA-256$4096:accVukbt2upIAC38X+3jVg==$Lt+Obkp+DGwfm1NLcWiK4K5GnNy9TU3PkcftXOda+YI="
                    + ":sQIcJ48VH4VDsS+6ETEaJGZHagtWydejYlcz84nyePo=";

    @Test
    void parsesAndReEncodesSecretFromPostgres() {
        ScramSecret secret = ScramSecret.parse(PG_PENCIL).orElseThrow();

        assertEquals(4096, secret.iterations());
        assertArrayEquals(Base64.getDecoder().decode("mFIPn05m9juPW6iGLlhSFw=="), secret.salt());
        assertEquals(PG_PENCIL, secret.encode());
    }

    @Test
    void fromPasswordReproducesPostgresSecret() {
        ScramSecret pg = ScramSecret.parse(PG_PENCIL).orElseThrow();
        assertEquals(pg, ScramSecret.fromPassword("pencil", pg.salt(), pg.iterations()));
    }

    @Test
    void fromPasswordAppliesSaslPrepLikePostgres() {
        ScramSecret pg = ScramSecret.parse(PG_UNICODE).orElseThrow();
        assertEquals(pg, ScramSecret.fromPassword("p\u00e4ss\u2168\u00adword", pg.salt(), pg.iterations()));
        assertEquals(pg, ScramSecret.fromPassword("p\u00e4ssIXword", pg.salt(), pg.iterations()));
    }

    @Test
    void roundTripsGeneratedSecret() {
        ScramSecret generated = ScramSecret.fromPassword("correct horse", new byte[] {1, 2, 3, 4, 5}, 10_000);
        String text = generated.encode();

        assertTrue(text.startsWith("SCRAM-SHA-256$10000:AQIDBAU=$"), text);
        assertEquals(generated, ScramSecret.parse(text).orElseThrow());
        assertEquals(generated.hashCode(), ScramSecret.parse(text).orElseThrow().hashCode());
    }

    @Test
    void defaultFactoryUsesRandomSixteenByteSaltAnd4096Iterations() {
        ScramSecret a = ScramSecret.fromPassword("pw");
        ScramSecret b = ScramSecret.fromPassword("pw");

        assertEquals(16, a.salt().length);
        assertEquals(4096, a.iterations());
        assertNotEquals(a, b);
    }

    @Test
    void equalityIsByContentAndArraysAreCopied() {
        byte[] salt = {9, 9, 9};
        ScramSecret a = ScramSecret.fromPassword("pw", salt, 2);
        salt[0] = 0;
        a.salt()[1] = 0;
        a.storedKey()[0] ^= 1;

        assertArrayEquals(new byte[] {9, 9, 9}, a.salt());
        assertEquals(ScramSecret.fromPassword("pw", new byte[] {9, 9, 9}, 2), a);
        assertNotEquals(ScramSecret.fromPassword("pw", new byte[] {9, 9, 9}, 3), a);
        assertNotEquals(ScramSecret.fromPassword("pw2", new byte[] {9, 9, 9}, 2), a);
    }

    @Test
    void toStringHidesKeys() {
        ScramSecret secret = ScramSecret.parse(PG_PENCIL).orElseThrow();
        String text = secret.toString();

        assertFalse(text.contains("7VIUh53c6ZAMr"), text);
        assertFalse(text.contains("9cMNJ"), text);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "pencil",
        "md5c12a0a8856d2d03129e69fd816b3a6d8",
        "SCRAM-SHA-1$4096:mFIPn05m9juPW6iGLlhSFw==$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$4096:mFIPn05m9juPW6iGLlhSFw==",
        "SCRAM-SHA-256$4096$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$0:mFIPn05m9juPW6iGLlhSFw==$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$-1:mFIPn05m9juPW6iGLlhSFw==$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$x:mFIPn05m9juPW6iGLlhSFw==$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$4096:$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$4096:not*base64$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$4096:mFIPn05m9juPW6iGLlhSFw==$AAAA:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=",
        "SCRAM-SHA-256$4096:mFIPn05m9juPW6iGLlhSFw==$7VIUh53c6ZAMr+Ja2QpM/HWuAJtZcSgGPcpo3wvADz8=:9cMNJ/9aqZJq4A3F9SZ6kR+6aLombjh+pH8gz52ipl8=$extra",
    })
    void rejectsMalformedSecrets(String value) {
        assertTrue(ScramSecret.parse(value).isEmpty(), value);
    }

    @Test
    void constructorValidates() {
        byte[] key = new byte[32];
        assertThrows(IllegalArgumentException.class, () -> new ScramSecret(0, new byte[] {1}, key, key));
        assertThrows(IllegalArgumentException.class, () -> new ScramSecret(1, new byte[0], key, key));
        assertThrows(IllegalArgumentException.class, () -> new ScramSecret(1, new byte[] {1}, new byte[31], key));
    }
}

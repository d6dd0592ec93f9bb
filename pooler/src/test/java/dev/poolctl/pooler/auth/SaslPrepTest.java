package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SaslPrepTest {

    @Test
    void asciiPasswordIsUsedUnchanged() {
        // PostgreSQL skips SASLprep for ASCII, so even a control character stays (RFC 4013 would refuse it).
        assertEquals(Optional.of("pencil"), SaslPrep.tryPrepare("pencil"));
        assertEquals(Optional.of("bell\u0007"), SaslPrep.tryPrepare("bell\u0007"));
        assertEquals(Optional.of(""), SaslPrep.tryPrepare(""));
    }

    @Test
    void mapsAndNormalisesLikeRfc4013Examples() {
        assertEquals(Optional.of("IX"), SaslPrep.tryPrepare("I\u00ADX"));   // soft hyphen mapped to nothing
        assertEquals(Optional.of("a"), SaslPrep.tryPrepare("\u00AA"));      // NFKC
        assertEquals(Optional.of("IX"), SaslPrep.tryPrepare("\u2168"));     // NFKC
        assertEquals(Optional.of("a b"), SaslPrep.tryPrepare("a\u00A0b"));  // non-ASCII space
        assertEquals(Optional.of("a b"), SaslPrep.tryPrepare("a\u200Bb"));  // PostgreSQL maps U+200B to a space
        assertEquals(Optional.of("\u00E9"), SaslPrep.tryPrepare("e\u0301")); // composed
    }

    @Test
    void fallsBackToRawPasswordWherePostgresDoes() {
        assertTrue(SaslPrep.tryPrepare("\u00E9\u0007").isEmpty());        // prohibited control character
        assertTrue(SaslPrep.tryPrepare("\u00E9\uE000").isEmpty());        // private use
        assertTrue(SaslPrep.tryPrepare("\u00AD").isEmpty());              // nothing left after mapping
        assertTrue(SaslPrep.tryPrepare("\u0627\u0031").isEmpty());        // RFC 4013 example: bidi rule
        assertTrue(SaslPrep.tryPrepare("\u0627a\u0627").isEmpty());       // RandALCat mixed with LCat
        assertTrue(SaslPrep.tryPrepare("\u00E9\uD800").isEmpty());        // unpaired surrogate
        assertEquals("\u00E9\u0007", SaslPrep.prepare("\u00E9\u0007"));
    }

    @Test
    void acceptsRightToLeftPasswordThatFollowsTheBidiRule() {
        assertEquals(Optional.of("\u0627\u0644\u0633"), SaslPrep.tryPrepare("\u0627\u0644\u0633"));
        assertEquals(Optional.of("\u0627 1 \u0627"), SaslPrep.tryPrepare("\u0627 1 \u0627"));
    }
}

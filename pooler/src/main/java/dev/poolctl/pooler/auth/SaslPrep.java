package dev.poolctl.pooler.auth;

import java.text.Normalizer;
import java.util.Optional;

/**
 * SASLprep (RFC 4013) of a password, the way PostgreSQL's {@code pg_saslprep} applies it before SCRAM hashing.
 *
 * <p>What matters is producing the same bytes as PostgreSQL and libpq, not RFC purity, so this follows PostgreSQL's
 * choices: a pure-ASCII password is used unchanged (even with control characters); otherwise non-ASCII spaces
 * (RFC 3454 C.1.2) become U+0020, "commonly mapped to nothing" characters (B.1) are dropped, and the result is NFKC
 * normalised. If the mapped password is empty or contains prohibited characters, or fails the bidi rule,
 * PostgreSQL does not reject it but hashes the raw password instead, and so do we. PostgreSQL runs the prohibition
 * and bidi checks on the mapped, not yet normalised, characters; we do the same.
 *
 * <p>Limits: the prohibited tables (C.1.2 to C.9) are RFC 3454's exactly, but "unassigned code point" (A.1, Unicode
 * 3.2 in PostgreSQL) and the bidi categories (D.1, D.2) come from the JDK's newer Unicode data, and NFKC is the JDK's
 * ({@link Normalizer}). A password holding a character assigned after Unicode 3.2, or whose bidi class changed since,
 * may therefore be normalised here where PostgreSQL falls back to the raw bytes (or the reverse), and fail to log in.
 * ASCII passwords, and those in scripts that existed in Unicode 3.2, are unaffected. A string with an unpaired
 * surrogate (the Java counterpart of PostgreSQL's invalid UTF-8 case) also falls back to the raw password.
 */
final class SaslPrep {
    private SaslPrep() {
    }

    /** The string to hash: the prepared password, or the raw one where PostgreSQL falls back to it. */
    static String prepare(String password) {
        return tryPrepare(password).orElse(password);
    }

    /** The prepared password, or empty where PostgreSQL would fall back to the raw password. */
    static Optional<String> tryPrepare(String password) {
        if (isAscii(password)) {
            return Optional.of(password);
        }
        if (hasUnpairedSurrogate(password)) {
            return Optional.empty();
        }
        int[] mapped = password.codePoints()
                .filter(cp -> !isMappedToNothing(cp))
                .map(cp -> isNonAsciiSpace(cp) ? ' ' : cp)
                .toArray();
        if (mapped.length == 0) {
            return Optional.empty();
        }
        for (int cp : mapped) {
            if (isProhibited(cp) || !Character.isDefined(cp)) {
                return Optional.empty();
            }
        }
        if (!passesBidiRule(mapped)) {
            return Optional.empty();
        }
        return Optional.of(Normalizer.normalize(new String(mapped, 0, mapped.length), Normalizer.Form.NFKC));
    }

    private static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) >= 0x80) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasUnpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }

    /** RFC 3454 C.1.2; checked before B.1 because U+200B is in both and PostgreSQL maps it to a space. */
    private static boolean isNonAsciiSpace(int cp) {
        return cp == 0x00A0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B)
                || cp == 0x202F || cp == 0x205F || cp == 0x3000;
    }

    /** RFC 3454 B.1, minus U+200B which {@link #isNonAsciiSpace} claims first. */
    private static boolean isMappedToNothing(int cp) {
        if (isNonAsciiSpace(cp)) {
            return false;
        }
        return cp == 0x00AD || cp == 0x034F || cp == 0x1806 || (cp >= 0x180B && cp <= 0x180D)
                || (cp >= 0x200B && cp <= 0x200D) || cp == 0x2060 || (cp >= 0xFE00 && cp <= 0xFE0F)
                || cp == 0xFEFF;
    }

    /** RFC 4013 section 2.3: RFC 3454 tables C.1.2, C.2.1, C.2.2, C.3, C.4, C.5, C.6, C.7, C.8, C.9. */
    private static boolean isProhibited(int cp) {
        boolean nonAsciiSpace = isNonAsciiSpace(cp);                                         // C.1.2
        boolean asciiControl = cp <= 0x001F || cp == 0x007F;                                 // C.2.1
        boolean nonAsciiControl = (cp >= 0x0080 && cp <= 0x009F) || cp == 0x06DD || cp == 0x070F
                || cp == 0x180E || cp == 0x200C || cp == 0x200D || cp == 0x2028 || cp == 0x2029
                || (cp >= 0x2060 && cp <= 0x2063) || (cp >= 0x206A && cp <= 0x206F) || cp == 0xFEFF
                || (cp >= 0xFFF9 && cp <= 0xFFFC) || (cp >= 0x1D173 && cp <= 0x1D17A);      // C.2.2
        boolean privateUse = (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xF0000 && cp <= 0xFFFFD)
                || (cp >= 0x100000 && cp <= 0x10FFFD);                                       // C.3
        boolean nonCharacter = (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFE) == 0xFFFE;    // C.4
        boolean surrogate = cp >= 0xD800 && cp <= 0xDFFF;                                    // C.5
        boolean notPlainText = cp >= 0xFFF9 && cp <= 0xFFFD;                                 // C.6
        boolean notCanonical = cp >= 0x2FF0 && cp <= 0x2FFB;                                 // C.7
        boolean displayChange = cp == 0x0340 || cp == 0x0341 || cp == 0x200E || cp == 0x200F
                || (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x206A && cp <= 0x206F);        // C.8
        boolean tagging = cp == 0xE0001 || (cp >= 0xE0020 && cp <= 0xE007F);                 // C.9
        return nonAsciiSpace || asciiControl || nonAsciiControl || privateUse || nonCharacter || surrogate
                || notPlainText || notCanonical || displayChange || tagging;
    }

    /** RFC 3454 section 6: with any R/AL character, no L character, and R/AL first and last. */
    private static boolean passesBidiRule(int[] cps) {
        boolean hasRandAL = false;
        for (int cp : cps) {
            if (isRandAL(cp)) {
                hasRandAL = true;
                break;
            }
        }
        if (!hasRandAL) {
            return true;
        }
        for (int cp : cps) {
            if (Character.getDirectionality(cp) == Character.DIRECTIONALITY_LEFT_TO_RIGHT) {
                return false;
            }
        }
        return isRandAL(cps[0]) && isRandAL(cps[cps.length - 1]);
    }

    private static boolean isRandAL(int cp) {
        byte d = Character.getDirectionality(cp);
        return d == Character.DIRECTIONALITY_RIGHT_TO_LEFT || d == Character.DIRECTIONALITY_RIGHT_TO_LEFT_ARABIC;
    }
}

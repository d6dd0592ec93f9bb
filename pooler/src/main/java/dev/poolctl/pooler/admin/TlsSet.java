package dev.poolctl.pooler.admin;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.SupportedSettings;

/**
 * The console's SET of TLS keys as PgBouncer's admin_set: the value is stored whenever its syntax is right, and
 * the contexts are rebuilt from the whole set (sbuf_tls_setup). Files are changed one key at a time, so in between
 * the set is often inconsistent (a new key beside the old certificate): that SET is still answered, with a notice,
 * and the running contexts stay until a later SET completes a usable set.
 */
final class TlsSet {
    /** PgBouncer's notice when the new set cannot be used (its wording: tools and people grep for it). */
    static final String NOT_APPLIED = "TLS settings could not be applied, still using old configuration";

    private TlsSet() {}

    /** PgBouncer's test: {@code strstr(key, "_tls_") || strstr(key, "_tls13_")}. */
    static boolean isTlsKey(String key) {
        return key.contains("_tls_") || key.contains("_tls13_");
    }

    /**
     * Refuses a SET only for what it breaks itself. TLS keys are checked when the contexts are built, not here; and
     * an inconsistent TLS set stored by earlier SETs must not refuse a later SET of an unrelated key.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static void check(GeneralSettings before, GeneralSettings after, String key) {
        if (isTlsKey(key)) {
            return;
        }
        try {
            SupportedSettings.check(after);
        } catch (IllegalArgumentException e) {
            if (passes(before)) {
                throw e;
            }
        }
    }

    private static boolean passes(GeneralSettings general) {
        try {
            SupportedSettings.check(general);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}

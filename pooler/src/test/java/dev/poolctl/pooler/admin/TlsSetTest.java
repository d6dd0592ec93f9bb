package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which SETs the console refuses before any TLS context is built. */
class TlsSetTest {
    private static final GeneralSettings PLAIN = GeneralSettings.of(Map.of());

    @Test
    void tlsKeysAreTheOnesPgBouncerRebuildsTheContextsFor() {
        assertTrue(TlsSet.isTlsKey("client_tls_key_file"));
        assertTrue(TlsSet.isTlsKey("server_tls13_ciphers"));
        assertFalse(TlsSet.isTlsKey("default_pool_size"));
    }

    @Test
    void anIncompleteTlsSetIsLeftToTheContextBuild() {
        GeneralSettings keyOnly = PLAIN.with(Setting.SERVER_TLS_KEY_FILE, "/k.pem");
        assertDoesNotThrow(() -> TlsSet.check(PLAIN, keyOnly, "server_tls_key_file"));
    }

    @Test
    void aSetIsRefusedForWhatItBreaksItselfOnly() {
        GeneralSettings keyOnly = PLAIN.with(Setting.SERVER_TLS_KEY_FILE, "/k.pem");
        GeneralSettings bigger = keyOnly.with(Setting.DEFAULT_POOL_SIZE, "30");
        assertDoesNotThrow(() -> TlsSet.check(keyOnly, bigger, "default_pool_size"),
                "an incomplete TLS set left by earlier SETs does not block other keys");
        GeneralSettings hba = PLAIN.with(Setting.AUTH_TYPE, "pam");
        assertThrows(IllegalArgumentException.class, () -> TlsSet.check(PLAIN, hba, "auth_type"));
    }
}

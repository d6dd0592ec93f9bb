package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The TLS settings rules, without files or sockets: what every mode needs, and the protocol list syntax. */
class TlsSettingsTest {
    private static GeneralSettings general(Map<Setting, String> values) {
        return GeneralSettings.of(values);
    }

    private static String refusal(Map<Setting, String> values) {
        return assertThrows(IllegalArgumentException.class, () -> SupportedSettings.check(general(values))).getMessage();
    }

    @Test
    void defaultsAreClientDisabledAndServerPrefer() {
        GeneralSettings g = GeneralSettings.defaults();
        SupportedSettings.check(g);
        assertFalse(TlsSettings.client(g).enabled());
        TlsSettings server = TlsSettings.server(g);
        assertEquals("prefer", server.mode());
        assertTrue(server.enabled());
        assertFalse(server.required());
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), server.protocols());
        assertTrue(server.defaultCiphers());
    }

    @ParameterizedTest
    @ValueSource(strings = {"allow", "prefer", "require", "verify-ca", "verify-full"})
    void everyClientModeNeedsTheKeyAndCertificate(String mode) {
        assertEquals("client_tls_sslmode: '" + mode + "' needs client_tls_key_file",
                refusal(Map.of(Setting.CLIENT_TLS_SSLMODE, mode)));
        assertEquals("client_tls_sslmode: '" + mode + "' needs client_tls_cert_file",
                refusal(Map.of(Setting.CLIENT_TLS_SSLMODE, mode, Setting.CLIENT_TLS_KEY_FILE, "k.pem")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"allow", "prefer", "require"})
    void clientModesThatDoNotVerifyNeedNoCa(String mode) {
        SupportedSettings.check(general(Map.of(Setting.CLIENT_TLS_SSLMODE, mode,
                Setting.CLIENT_TLS_KEY_FILE, "k.pem", Setting.CLIENT_TLS_CERT_FILE, "c.pem")));
    }

    @Test
    void clientVerifyFullNeedsTheCaAsInPgBouncer() {
        assertEquals("client_tls_sslmode: 'verify-full' needs client_tls_ca_file",
                refusal(Map.of(Setting.CLIENT_TLS_SSLMODE, "verify-full", Setting.CLIENT_TLS_KEY_FILE, "k.pem",
                        Setting.CLIENT_TLS_CERT_FILE, "c.pem")));
        // verify-ca without a CA file checks client certificates against the default trust store (PgBouncer: the
        // system's CAs)
        SupportedSettings.check(general(Map.of(Setting.CLIENT_TLS_SSLMODE, "verify-ca", Setting.CLIENT_TLS_KEY_FILE,
                "k.pem", Setting.CLIENT_TLS_CERT_FILE, "c.pem")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"verify-ca", "verify-full"})
    void clientVerifyModesVerify(String mode) {
        TlsSettings s = TlsSettings.client(general(Map.of(Setting.CLIENT_TLS_SSLMODE, mode,
                Setting.CLIENT_TLS_KEY_FILE, "k.pem", Setting.CLIENT_TLS_CERT_FILE, "c.pem",
                Setting.CLIENT_TLS_CA_FILE, "ca.pem")));
        assertTrue(s.required());
        assertTrue(s.verifies());
    }

    @ParameterizedTest
    @ValueSource(strings = {"disable", "allow", "prefer", "require"})
    void serverModesThatDoNotVerifyNeedNoFiles(String mode) {
        TlsSettings s = TlsSettings.server(general(Map.of(Setting.SERVER_TLS_SSLMODE, mode)));
        assertEquals(mode.equals("require"), s.required());
        assertEquals(!mode.equals("disable"), s.enabled());
    }

    @ParameterizedTest
    @ValueSource(strings = {"verify-ca", "verify-full"})
    void serverVerifyModesFallBackToTheDefaultTrustStore(String mode) {
        // PgBouncer uses the system's CAs when server_tls_ca_file is not set; poolctl the JDK's
        TlsSettings s = TlsSettings.server(general(Map.of(Setting.SERVER_TLS_SSLMODE, mode)));
        assertTrue(s.verifies());
        assertEquals(null, s.caFile());
    }

    @Test
    void aClientCertificateForTheServerNeedsBothFiles() {
        assertEquals("server_tls_cert_file is set without server_tls_key_file",
                refusal(Map.of(Setting.SERVER_TLS_CERT_FILE, "c.pem")));
        assertEquals("server_tls_key_file is set without server_tls_cert_file",
                refusal(Map.of(Setting.SERVER_TLS_KEY_FILE, "k.pem")));
    }

    @Test
    void protocolListsFollowPgBouncerSyntax() {
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), TlsSettings.protocols("k", "secure"));
        assertEquals(List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"), TlsSettings.protocols("k", "all"));
        assertEquals(List.of("TLSv1.3"), TlsSettings.protocols("k", "tlsv1.3"));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), TlsSettings.protocols("k", "TLSv1.2, tlsv1.3"));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), TlsSettings.protocols("k", "all:!tlsv1.0:!tlsv1.1"));
        assertEquals(List.of("TLSv1.2", "TLSv1.3"), TlsSettings.protocols("k", ""));
        assertEquals("server_tls_protocols: unknown TLS protocol 'sslv3' (use tlsv1.0, tlsv1.1, tlsv1.2, tlsv1.3,"
                + " secure or all)", refusal(Map.of(Setting.SERVER_TLS_PROTOCOLS, "sslv3")));
        assertEquals("client_tls_protocols: 'tlsv1.3,!tlsv1.3' leaves no TLS protocol",
                refusal(Map.of(Setting.CLIENT_TLS_PROTOCOLS, "tlsv1.3,!tlsv1.3")));
    }

    @Test
    void tlsKeysAreApplied() {
        for (Setting s : List.of(Setting.CLIENT_TLS_SSLMODE, Setting.CLIENT_TLS_KEY_FILE, Setting.CLIENT_TLS_CERT_FILE,
                Setting.CLIENT_TLS_CA_FILE, Setting.CLIENT_TLS_PROTOCOLS, Setting.CLIENT_TLS_CIPHERS,
                Setting.SERVER_TLS_SSLMODE, Setting.SERVER_TLS_KEY_FILE, Setting.SERVER_TLS_CERT_FILE,
                Setting.SERVER_TLS_CA_FILE, Setting.SERVER_TLS_PROTOCOLS, Setting.SERVER_TLS_CIPHERS,
                Setting.CLIENT_TLS13_CIPHERS, Setting.SERVER_TLS13_CIPHERS)) {
            assertTrue(SupportedSettings.isApplied(s, "x"), s.key());
        }
        // the JDK (17) picks its groups per process, not per context: read, not applied
        assertFalse(SupportedSettings.isApplied(Setting.CLIENT_TLS_ECDHCURVE, "prime256v1"));
    }
}

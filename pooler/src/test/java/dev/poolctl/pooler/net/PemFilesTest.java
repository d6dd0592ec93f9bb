package dev.poolctl.pooler.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.support.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The key files operators have, made with the openssl CLI: PKCS#8, OpenSSL 1.x's PKCS#1 RSA and SEC1 EC keys (the
 * JDK reads only the first), a key file with an EC PARAMETERS block, an encrypted key; and a key that is not the
 * certificate's. No sockets.
 */
class PemFilesTest {
    @TempDir
    Path dir;

    private void openssl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Processes.command(cmd).directory(dir).timeout(Duration.ofSeconds(30)).run().assertSuccess(String.join(" ", cmd));
    }

    private void selfSigned(String name) {
        openssl("req", "-x509", "-key", name + ".key", "-out", name + ".crt", "-days", "5", "-subj", "/CN=localhost");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "rsa-pkcs1,  genrsa -traditional -out rsa-pkcs1.key 2048,                    RSA PRIVATE KEY,  RSA",
        "ec-sec1,    ecparam -name prime256v1 -genkey -noout -out ec-sec1.key,        EC PRIVATE KEY,   EC",
        "ec-params,  ecparam -name secp384r1 -genkey -out ec-params.key,              EC PARAMETERS,    EC",
        "rsa-pkcs8,  genpkey -algorithm RSA -out rsa-pkcs8.key,                       PRIVATE KEY,      RSA",
        "ed25519,    genpkey -algorithm ED25519 -out ed25519.key,                     PRIVATE KEY,      Ed25519",
    })
    void everyUnencryptedKeyFormatIsRead(String name, String command, String pemType, String algorithm) throws Exception {
        openssl(command.split(" "));
        assertTrue(Files.readString(dir.resolve(name + ".key")).contains("-----BEGIN " + pemType + "-----"));
        selfSigned(name);
        PrivateKey key = PemFiles.privateKey(dir.resolve(name + ".key"));
        assertTrue(key.getAlgorithm().startsWith(algorithm.substring(0, 2)), key.getAlgorithm());
        assertTrue(PemFiles.matches(key, PemFiles.certificates(dir.resolve(name + ".crt"))[0]));
    }

    @Test
    void aKeyOfAnotherCertificateDoesNotMatch() throws Exception {
        openssl("genrsa", "-traditional", "-out", "a.key", "2048");
        openssl("genrsa", "-traditional", "-out", "b.key", "2048");
        openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "c.key");
        selfSigned("a");
        assertFalse(PemFiles.matches(PemFiles.privateKey(dir.resolve("b.key")), PemFiles.certificates(dir.resolve("a.crt"))[0]));
        assertFalse(PemFiles.matches(PemFiles.privateKey(dir.resolve("c.key")), PemFiles.certificates(dir.resolve("a.crt"))[0]));

        GeneralSettings g = GeneralSettings.of(Map.of(Setting.CLIENT_TLS_SSLMODE, "require",
                Setting.CLIENT_TLS_KEY_FILE, "b.key", Setting.CLIENT_TLS_CERT_FILE, "a.crt"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TlsContexts.build(g, dir));
        assertEquals("client_tls_key_file " + dir.resolve("b.key") + " does not belong to the certificate in"
                + " client_tls_cert_file " + dir.resolve("a.crt"), e.getMessage());
        // the right key, relative to the config file's directory as PgBouncer resolves them
        TlsContexts built = TlsContexts.build(g.with(Setting.CLIENT_TLS_KEY_FILE, "a.key"), dir);
        assertTrue(built.client().enabled());
        assertTrue(built.server().enabled(), "server_tls_sslmode prefer by default");
    }

    @Test
    void certificatesCloseToTheirEndAreNamed() {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout",
                "s.key", "-out", "s.crt", "-days", "5", "-subj", "/CN=soon");
        GeneralSettings g = GeneralSettings.of(Map.of(Setting.SERVER_TLS_SSLMODE, "verify-ca",
                Setting.SERVER_TLS_CA_FILE, "s.crt", Setting.CLIENT_TLS_SSLMODE, "require",
                Setting.CLIENT_TLS_KEY_FILE, "s.key", Setting.CLIENT_TLS_CERT_FILE, "s.crt"));
        java.time.Instant now = java.time.Instant.now();
        List<String> soon = TlsContexts.expiryWarnings(g, dir, now);
        assertEquals(2, soon.size(), soon.toString());
        assertTrue(soon.get(0).startsWith("client_tls_cert_file " + dir.resolve("s.crt") + ": certificate 'CN=soon'"
                + " expires on "), soon.toString());
        assertTrue(soon.get(1).startsWith("server_tls_ca_file "), soon.toString());
        assertTrue(TlsContexts.expiryWarnings(g, dir, now.plus(Duration.ofDays(6))).get(0).contains("expired on"));
        assertTrue(TlsContexts.expiryWarnings(g, dir, now.minus(Duration.ofDays(30))).isEmpty());
        assertTrue(TlsContexts.expiryWarnings(g.with(Setting.CLIENT_TLS_SSLMODE, "disable")
                .with(Setting.SERVER_TLS_SSLMODE, "disable"), dir, now).isEmpty(), "files of a disabled side");
    }

    @Test
    void anEncryptedKeyIsRefusedWithTheReason() {
        openssl("genpkey", "-algorithm", "RSA", "-aes256", "-pass", "pass:secret", "-out", "enc.key");
        GeneralSecurityException e = assertThrows(GeneralSecurityException.class,
                () -> PemFiles.privateKey(dir.resolve("enc.key")));
        assertTrue(e.getMessage().contains("encrypted key"), e.getMessage());
    }

    @Test
    void unreadableFilesAndUnknownCiphersNameTheirKey() {
        GeneralSettings g = GeneralSettings.of(Map.of(Setting.SERVER_TLS_SSLMODE, "verify-ca",
                Setting.SERVER_TLS_CA_FILE, "nope.crt"));
        assertEquals("server_tls_ca_file: cannot read " + dir.resolve("nope.crt"),
                assertThrows(IllegalArgumentException.class, () -> TlsContexts.build(g, dir)).getMessage());
        GeneralSettings ciphers = GeneralSettings.of(Map.of(Setting.SERVER_TLS_CIPHERS, "HIGH:!aNULL"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TlsContexts.build(ciphers, dir)).getMessage()
                .contains("server_tls_ciphers: 'HIGH' is not a cipher suite name"));
        TlsContexts.build(GeneralSettings.of(Map.of(Setting.SERVER_TLS_CIPHERS,
                "ECDHE-RSA-AES256-GCM-SHA384:TLS_AES_128_GCM_SHA256")), dir);
        TlsContexts.build(GeneralSettings.of(Map.of(Setting.SERVER_TLS13_CIPHERS, "TLS_AES_128_GCM_SHA256")), dir);
        GeneralSettings tls13 = GeneralSettings.of(Map.of(Setting.SERVER_TLS13_CIPHERS, "TLS_NOPE"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TlsContexts.build(tls13, dir)).getMessage()
                .contains("TLS_NOPE"));
    }
}

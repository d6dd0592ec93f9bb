package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificateNamesTest {
    @TempDir
    Path dir;

    /** A self-signed certificate made by the openssl CLI, as operators make them. */
    private X509Certificate cert(String subject, String san) throws Exception {
        Path key = dir.resolve("k.pem");
        Path crt = dir.resolve("c.pem");
        List<String> cmd = new ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", "ec",
                "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", subject,
                "-keyout", key.toString(), "-out", crt.toString()));
        if (san != null) {
            cmd.addAll(List.of("-addext", "subjectAltName=" + san));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        try (InputStream in = Files.newInputStream(crt)) {
            return (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
    }

    @Test
    void theCommonNameNamesTheUserWhenThereIsNoAltName() throws Exception {
        X509Certificate c = cert("/O=poolctl/CN=Alice", null);
        assertEquals("Alice", CertificateNames.commonName(c));
        assertTrue(CertificateNames.contains(c, "alice"), "case-insensitive, as strcasecmp");
        assertFalse(CertificateNames.contains(c, "bob"));
        assertFalse(CertificateNames.contains(c, "poolctl"), "the organisation is not a name");
    }

    @Test
    void altNamesAreCheckedFirstAndTheCommonNameStillCounts() throws Exception {
        X509Certificate c = cert("/CN=alice", "DNS:bob,DNS:*.svc.example.com");
        assertTrue(CertificateNames.contains(c, "bob"));
        assertTrue(CertificateNames.contains(c, "app.svc.example.com"));
        assertTrue(CertificateNames.contains(c, "alice"), "libtls falls back to the CN when no altName matches");
        assertFalse(CertificateNames.contains(c, "svc.example.com"), "a wildcard needs a host part");
    }

    @Test
    void wildcardsFollowLibtlsRules() {
        assertTrue(CertificateNames.matches("*.example.com", "a.example.com"));
        assertFalse(CertificateNames.matches("*.example.com", "a.b.example.com"));
        assertFalse(CertificateNames.matches("*.com", "a.com"), "no *.tld");
        assertFalse(CertificateNames.matches("*", "a"));
        assertFalse(CertificateNames.matches("*foo.com", "afoo.com"));
        assertFalse(CertificateNames.matches("*.example.com", "example"));
    }
}

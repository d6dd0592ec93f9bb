package dev.poolctl.pooler.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Certificates made with the {@code openssl} CLI for the TLS tests, in a temp dir: a CA, a server certificate for
 * localhost/127.0.0.1, a client certificate whose CN is a user name, one that expired in 2020, one for a wrong host,
 * and a second CA that signed none of them. EC P-256 keys (fast to make), PKCS#8 PEM as openssl 3 writes them.
 */
public final class TestCertificates {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private final Path dir;

    private TestCertificates(Path dir) {
        this.dir = dir;
    }

    /** Makes every certificate; {@code clientUser} becomes the CN of {@link #clientCert()}. */
    public static TestCertificates create(Path dir, String clientUser) {
        TestCertificates c = new TestCertificates(dir);
        c.ca("ca");
        c.ca("otherca");
        c.signed("server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1", null);
        c.signed("client", "/CN=" + clientUser, null, null);
        c.signed("wronghost", "/CN=wrong.example", "subjectAltName=DNS:wrong.example,IP:10.255.255.1", null);
        c.signed("expired", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1", "expired");
        return c;
    }

    public Path dir() { return dir; }
    public Path caCert() { return dir.resolve("ca.crt"); }
    public Path otherCaCert() { return dir.resolve("otherca.crt"); }
    public Path serverCert() { return dir.resolve("server.crt"); }
    public Path serverKey() { return dir.resolve("server.key"); }
    public Path clientCert() { return dir.resolve("client.crt"); }
    public Path clientKey() { return dir.resolve("client.key"); }
    public Path wrongHostCert() { return dir.resolve("wronghost.crt"); }
    public Path wrongHostKey() { return dir.resolve("wronghost.key"); }
    public Path expiredCert() { return dir.resolve("expired.crt"); }
    public Path expiredKey() { return dir.resolve("expired.key"); }

    private void ca(String name) {
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                "-keyout", name + ".key", "-out", name + ".crt", "-days", "30", "-subj", "/CN=poolctl test " + name,
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    }

    private void signed(String name, String subject, String san, String expired) {
        List<String> req = new ArrayList<>(List.of("req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", name + ".key", "-out", name + ".csr",
                "-subj", subject));
        if (san != null) {
            req.addAll(List.of("-addext", san));
        }
        openssl(req.toArray(String[]::new));
        if (expired == null) {
            openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-out", name + ".crt", "-days", "30", "-copy_extensions", "copy");
            return;
        }
        // `openssl x509` cannot back-date; `openssl ca` takes explicit dates, from a minimal CA config.
        write("index.txt", "");
        write("serial", "1000\n");
        write("ca.cnf", String.join("\n", "[ca]", "default_ca = d", "[d]", "dir = " + dir,
                "database = " + dir.resolve("index.txt"), "new_certs_dir = " + dir, "serial = " + dir.resolve("serial"),
                "default_md = sha256", "policy = any", "copy_extensions = copy", "unique_subject = no",
                "[any]", "commonName = supplied", ""));
        openssl("ca", "-batch", "-config", "ca.cnf", "-cert", "ca.crt", "-keyfile", "ca.key", "-in", name + ".csr",
                "-out", name + ".crt", "-startdate", "20200101000000Z", "-enddate", "20200102000000Z", "-notext");
    }

    private void write(String name, String text) {
        try {
            Files.writeString(dir.resolve(name), text);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void openssl(String... args) {
        List<String> cmd = new ArrayList<>(List.of("openssl"));
        cmd.addAll(List.of(args));
        Processes.command(cmd).directory(dir).timeout(TIMEOUT).run().assertSuccess(String.join(" ", cmd));
    }
}

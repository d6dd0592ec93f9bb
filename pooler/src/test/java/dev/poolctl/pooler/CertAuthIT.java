package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * auth_type = cert and hba cert rules (PgBouncer's login_via_cert): the client's TLS certificate names the user,
 * or an ident map lets the name in the certificate log in as the user. Certificates made with openssl; clients are
 * psql with sslcert/sslkey. The server side is plain: only the client side is under test.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class CertAuthIT {
    private static PostgresCluster pg;
    private static Path dir;
    private static TestCertificates certs;

    @BeforeAll
    static void makeCertificates() throws IOException {
        dir = Files.createTempDirectory("poolctl-cert-");
        certs = TestCertificates.create(dir, PostgresCluster.MD5_USER); // CN = md5_user
        Files.setPosixFilePermissions(certs.clientKey(), PosixFilePermissions.fromString("rw-------"));
    }

    @AfterAll
    static void removeCertificates() throws IOException {
        try (var files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    private static PoolerFixture pooler(String authType, String... more) {
        PoolerFixture.Settings s = PoolerFixture.settings().set("auth_type", authType)
                .set("client_tls_sslmode", "verify-ca")
                .set("client_tls_cert_file", certs.serverCert().toString())
                .set("client_tls_key_file", certs.serverKey().toString())
                .set("client_tls_ca_file", certs.caCert().toString());
        for (int i = 0; i < more.length; i += 2) {
            s.set(more[i], more[i + 1]);
        }
        return PoolerFixture.start(pg, s);
    }

    /** psql over TLS with the md5_user certificate and no password, logging in as {@code user}. */
    private static Processes.Result psqlWithCertificate(PoolerFixture f, String user) {
        return f.run("psql", user, "", Duration.ofSeconds(30), "-X", "-A", "-t", "-w", "-c", "select current_user",
                "dbname=" + PostgresCluster.TEST_DB + " sslmode=verify-full sslrootcert=" + certs.caCert()
                        + " sslcert=" + certs.clientCert() + " sslkey=" + certs.clientKey());
    }

    @Test
    void authTypeCertLetsInTheUserTheCertificateNamesAndNoOther() {
        try (PoolerFixture f = pooler("cert")) {
            Processes.Result ok = psqlWithCertificate(f, PostgresCluster.MD5_USER);
            assertEquals(0, ok.exitCode(), ok.output());
            assertEquals(PostgresCluster.MD5_USER, ok.stdout().trim());

            Processes.Result other = psqlWithCertificate(f, PostgresCluster.TRUST_USER);
            assertTrue(other.exitCode() != 0, other.output());
            assertTrue(other.output().contains("certificate authentication failed"), other.output());
            f.awaitLog("TLS certificate name mismatch", Duration.ofSeconds(10));

            // The unix socket never carries TLS: no certificate, no login.
            Processes.Result unix = Processes.run(List.of(pg.binary("psql").toString(), "-h", f.dir().toString(),
                    "-p", Integer.toString(f.port()), "-U", PostgresCluster.MD5_USER, "-X", "-w", "-c", "select 1",
                    "dbname=" + PostgresCluster.TEST_DB), Map.of(), null, Duration.ofSeconds(30));
            assertTrue(unix.exitCode() != 0, unix.output());
            assertTrue(unix.output().contains("certificate authentication failed"), unix.output());
            f.awaitLog("TLS connection required", Duration.ofSeconds(10));
        }
    }

    @Test
    void anHbaCertRuleWithAMapLetsTheCertificateLogInAsTheMappedUser() throws IOException {
        Path hba = dir.resolve("hba.conf");
        Path ident = dir.resolve("ident.conf");
        Files.writeString(hba, "hostssl all all 127.0.0.1/32 cert map=certs\n");
        Files.writeString(ident, "certs " + PostgresCluster.MD5_USER + " " + PostgresCluster.TRUST_USER + "\n");
        try (PoolerFixture f = pooler("hba", "auth_hba_file", hba.toString(), "auth_ident_file", ident.toString())) {
            Processes.Result mapped = psqlWithCertificate(f, PostgresCluster.TRUST_USER);
            assertEquals(0, mapped.exitCode(), mapped.output());
            assertEquals(PostgresCluster.TRUST_USER, mapped.stdout().trim());

            Processes.Result unmapped = psqlWithCertificate(f, PostgresCluster.MD5_USER);
            assertTrue(unmapped.exitCode() != 0, "the map, not the CN, decides under map=: " + unmapped.output());
            assertTrue(unmapped.output().contains("certificate authentication failed"), unmapped.output());
            f.awaitLog("ident map: certs does not have a match", Duration.ofSeconds(10));
        }
    }

    /**
     * PgBouncer asks for a certificate in every client sslmode (libtls verify_client_optional) when it has a CA: under
     * {@code require} an hba cert rule works for a client that sends one, and fails for one that sends none.
     */
    @Test
    void underRequireACertificateIsAskedForAndAnHbaCertRuleCanUseIt() throws IOException {
        Path hba = dir.resolve("hba-require.conf");
        Files.writeString(hba, "hostssl all all 127.0.0.1/32 cert\n");
        try (PoolerFixture f = pooler("hba", "auth_hba_file", hba.toString(), "client_tls_sslmode", "require")) {
            Processes.Result ok = psqlWithCertificate(f, PostgresCluster.MD5_USER);
            assertEquals(0, ok.exitCode(), ok.output());
            assertEquals(PostgresCluster.MD5_USER, ok.stdout().trim());

            Processes.Result none = f.run("psql", PostgresCluster.MD5_USER, "", Duration.ofSeconds(30), "-X", "-A",
                    "-t", "-w", "-c", "select 1", "dbname=" + PostgresCluster.TEST_DB + " sslmode=require");
            assertTrue(none.exitCode() != 0, "no certificate: still welcome to TLS, not to a cert rule");
            assertTrue(none.output().contains("certificate authentication failed"), none.output());
            f.awaitLog("TLS client certificate required", Duration.ofSeconds(10));
        }
    }
}

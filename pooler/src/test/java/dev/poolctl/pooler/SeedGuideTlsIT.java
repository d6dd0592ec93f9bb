package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.TestCertificates;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The operator guide's whole pgbouncer.ini (shared/docs/seed-guide.md: the [pgbouncer] block and its Security
 * section: server_tls_sslmode = require with CA, key and certificate, client_tls_sslmode = allow with the pooler's
 * key and certificate) in front of a PostgreSQL that takes the application user only over TLS (hostssl), served to
 * psql, pgbench, pgjdbc and psycopg over TLS. What differs from the guide: file paths, ports, listen_addr on
 * loopback, and the database name it points at.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SeedGuideTlsIT {
    private static final String USER = "guide_user";
    private static final String PASSWORD = "guide_pw";
    private static final String DB = "hospitality_platform";
    private static PostgresCluster pg;
    private static TestCertificates certs;
    private static Path certDir;
    private static PoolerFixture pooler;

    @BeforeAll
    static void start() throws IOException {
        pg = PostgresCluster.start();
        certDir = Files.createTempDirectory("poolctl-guide-");
        certs = TestCertificates.create(certDir, USER);
        Files.setPosixFilePermissions(certs.clientKey(), PosixFilePermissions.fromString("rw-------"));
        pg.query("postgres", "SET password_encryption = 'md5'; CREATE ROLE " + USER + " LOGIN PASSWORD '"
                + PASSWORD + "'; GRANT pg_read_all_data TO " + USER);
        pg.enableSsl(certs.serverCert(), certs.serverKey(), certs.caCert(), List.of(
                "hostnossl all " + USER + " 127.0.0.1/32 reject",
                "hostssl   all " + USER + " 127.0.0.1/32 md5"));
        PoolerFixture.Settings s = PoolerFixture.settings()
                .authFileLine(USER, dev.poolctl.pooler.auth.Md5Password.encrypt(PASSWORD, USER))
                .database(DB, "host=localhost port=${port} dbname=testdb");
        String[] guide = {
            "auth_type", "md5", "pool_mode", "transaction", "max_client_conn", "10000", "default_pool_size", "100",
            "min_pool_size", "10", "reserve_pool_size", "10", "reserve_pool_timeout", "5",
            "max_db_connections", "100", "max_user_connections", "10000",
            "server_idle_timeout", "600", "server_lifetime", "3600", "server_connect_timeout", "15",
            "query_timeout", "0", "query_wait_timeout", "120", "client_idle_timeout", "0", "client_login_timeout", "60",
            "log_connections", "1", "log_disconnections", "1", "log_pooler_errors", "1", "stats_period", "60",
            "ignore_startup_parameters", "extra_float_digits",
            "tcp_keepalive", "1", "tcp_keepcnt", "5", "tcp_keepidle", "30", "tcp_keepintvl", "10",
            // Security: SSL/TLS Configuration
            "server_tls_sslmode", "require",
            "server_tls_ca_file", certs.caCert().toString(),
            "server_tls_key_file", certs.clientKey().toString(),
            "server_tls_cert_file", certs.clientCert().toString(),
            "client_tls_sslmode", "allow",
            "client_tls_key_file", certs.serverKey().toString(),
            "client_tls_cert_file", certs.serverCert().toString(),
        };
        for (int i = 0; i < guide.length; i += 2) {
            s.set(guide[i], guide[i + 1]);
        }
        pooler = PoolerFixture.start(pg, s);
    }

    @AfterAll
    static void stop() throws IOException {
        if (pooler != null) {
            pooler.close();
        }
        if (pg != null) {
            pg.close();
        }
        try (var files = Files.walk(certDir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** Run through the pooler, this reports whether the client side and the server side are both encrypted. */
    private static final String BOTH_SIDES = "select (select ssl from pg_stat_ssl where pid = pg_backend_pid())"
            + " || '/' || (select client_dn from pg_stat_ssl where pid = pg_backend_pid())";

    @Test
    void psqlOverTlsWithVerifyFull() {
        Processes.Result r = pooler.run("psql", USER, PASSWORD, Duration.ofSeconds(30), "-X", "-A", "-t", "-c",
                BOTH_SIDES, "dbname=" + DB + " sslmode=verify-full sslrootcert=" + certs.caCert());
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("true//CN=" + USER, r.stdout().trim(), "the server side uses the guide's client certificate");
        pooler.awaitLog("login attempt: db=" + DB + " user=" + USER + " tls=TLSv1\\.[23]/", Duration.ofSeconds(10));
    }

    @Test
    void pgbenchOverTls() {
        Processes.Result r = pooler.run("pgbench", USER, PASSWORD, Duration.ofSeconds(90), "-n", "-S", "-c", "4",
                "-j", "2", "-t", "50", "dbname=" + DB + " sslmode=require");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.stdout().contains("number of transactions actually processed: 200/200"), r.output());
    }

    @Test
    void pgjdbcOverTlsWithVerifyFull() throws Exception {
        try (Connection c = pooler.connect(DB, USER, PASSWORD, "sslmode=verify-full",
                "sslrootcert=" + certs.caCert());
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(BOTH_SIDES)) {
            assertTrue(rs.next());
            assertEquals("true//CN=" + USER, rs.getString(1));
        }
    }

    @Test
    void psycopgOverTls() {
        // psycopg is Debian's python3-psycopg (.ci/run installs it); without it this client is not tested.
        Processes.Result probe = Processes.run(List.of("/usr/bin/python3", "-c", "import psycopg"),
                Duration.ofSeconds(30));
        Assumptions.assumeTrue(probe.exitCode() == 0, "python3-psycopg is not installed: " + probe.output());
        String script = "import psycopg, sys\n"
                + "with psycopg.connect(sys.argv[1]) as c:\n"
                + "    print(c.execute(sys.argv[2]).fetchone()[0])\n";
        String dsn = "host=127.0.0.1 port=" + pooler.port() + " dbname=" + DB + " user=" + USER + " password="
                + PASSWORD + " sslmode=verify-full sslrootcert=" + certs.caCert();
        Processes.Result r = Processes.run(List.of("/usr/bin/python3", "-c", script, dsn, BOTH_SIDES), Map.of(),
                null, Duration.ofSeconds(60));
        assertEquals(0, r.exitCode(), r.output());
        assertEquals("true//CN=" + USER, r.stdout().trim());
    }
}

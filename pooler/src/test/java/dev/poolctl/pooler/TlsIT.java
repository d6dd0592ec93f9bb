package dev.poolctl.pooler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.Processes;
import dev.poolctl.pooler.support.RawClient;
import dev.poolctl.pooler.support.TestCertificates;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS on both sides against a real PostgreSQL with {@code ssl = on} whose pg_hba lets {@code tls_user} in only over
 * TLS (hostssl; hostnossl rejects), with certificates the test makes with openssl: PostgreSQL's and the pooler's
 * server certificate for localhost/127.0.0.1, a client certificate with CN = tls_user, an expired one, one for a
 * wrong host, and a second CA. Clients are pgjdbc and psql. Its own cluster: turning ssl on must not change what
 * the other IT classes of this JVM see.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TlsIT {
    private static final String USER = "tls_user";
    private static final String PASSWORD = "tls_pw";
    private static PostgresCluster pg;
    private static TestCertificates certs;
    private static Path certDir;

    @BeforeAll
    static void start() throws IOException {
        pg = PostgresCluster.start();
        certDir = Files.createTempDirectory("poolctl-tls-");
        certs = TestCertificates.create(certDir, USER);
        for (Path key : List.of(certs.clientKey(), certs.serverKey(), certs.wrongHostKey(), certs.expiredKey())) {
            Files.setPosixFilePermissions(key, PosixFilePermissions.fromString("rw-------")); // libpq insists
        }
        pg.query("postgres", "SET password_encryption = 'scram-sha-256'; CREATE ROLE " + USER + " LOGIN PASSWORD '"
                + PASSWORD + "'");
        pg.enableSsl(certs.serverCert(), certs.serverKey(), certs.caCert(), List.of(
                "hostnossl all " + USER + " 127.0.0.1/32 reject",
                "hostssl   all " + USER + " 127.0.0.1/32 scram-sha-256"));
    }

    @AfterAll
    static void stop() throws IOException {
        if (pg != null) {
            pg.close();
        }
        if (certDir != null) {
            try (var files = Files.walk(certDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static PoolerFixture pooler(String... keyValues) {
        PoolerFixture.Settings s = PoolerFixture.settings().authFileLine(USER, PASSWORD).set("admin_users", USER)
                .database("wrongname", "host=db.wrong.test port=${port} dbname=testdb");
        for (int i = 0; i < keyValues.length; i += 2) {
            s.set(keyValues[i], keyValues[i + 1]);
        }
        PoolerFixture f = PoolerFixture.start(pg, s);
        // db.wrong.test is 127.0.0.1 (no DNS traffic), a name PostgreSQL's certificate does not carry.
        f.daemon().lookup(host -> new InetAddress[] {InetAddress.getByName("127.0.0.1")});
        return f;
    }

    private static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            assertTrue(rs.next(), sql);
            return rs.getString(1);
        }
    }

    /** Whether the server connection this client runs on is encrypted, as PostgreSQL itself sees it. */
    private static String sslOfMyBackend(Connection c) throws SQLException {
        return one(c, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    }

    /** The console, over TLS when the pooler offers it (client_tls_sslmode=require refuses plain text). */
    private static Connection admin(PoolerFixture f) throws SQLException {
        return f.connect("pgbouncer", USER, PASSWORD, "preferQueryMode=simple", "sslmode=prefer",
                "sslfactory=org.postgresql.ssl.NonValidatingFactory");
    }

    /** The given column of SHOW CLIENTS/SERVERS rows of {@code user}. */
    private static List<String> show(PoolerFixture f, String what, String column) throws SQLException {
        List<String> values = new ArrayList<>();
        try (Connection admin = admin(f); Statement st = admin.createStatement();
             ResultSet rs = st.executeQuery("SHOW " + what)) {
            while (rs.next()) {
                if (rs.getString("user").equals(USER) && rs.getString("database").equals("testdb")) {
                    values.add(rs.getString(column));
                }
            }
        }
        return values;
    }

    // ---------------------------------------------------------------- server side

    @Test
    void defaultPreferEncryptsToAServerThatOffersTls() throws Exception {
        try (PoolerFixture f = pooler("pool_mode", "session")) {
            // The server-side context waits for the first server that offers TLS (the library costs ~9 MB RSS).
            f.awaitLog("process up: .*tls: loaded when a server first offers TLS \\(server_tls_sslmode=prefer\\)",
                    Duration.ofSeconds(10));
            assertFalse(f.log().contains("server TLS context built"), f.log());
            try (Connection c = f.connect("testdb", USER, PASSWORD)) {
                assertEquals("t", sslOfMyBackend(c), "the hostssl-only role got in, over TLS");
                List<String> tls = show(f, "SERVERS", "tls");
                assertEquals(1, tls.size(), tls.toString());
                assertTrue(tls.get(0).matches("TLSv1\\.[23]/[A-Z0-9_-]+"), tls.toString());
                assertEquals("", show(f, "CLIENTS", "tls").get(0), "the client itself came in plain text");
            }
            f.awaitLog("server TLS context built on first use, tls: (BoringSSL|SunJSSE)", Duration.ofSeconds(10));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"require", "verify-ca", "verify-full"})
    void everyModeThatRequiresTlsLogsInEncrypted(String mode) throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", mode, "server_tls_ca_file", certs.caCert().toString());
             Connection c = f.connect("testdb", USER, PASSWORD)) {
            assertEquals("t", sslOfMyBackend(c));
            // md5_user has a plain host line: it is encrypted too, since the pooler asks for TLS every time.
            try (Connection md5 = f.connect()) {
                assertEquals("t", sslOfMyBackend(md5));
            }
        }
    }

    @Test
    void disableSendsNoSslRequestAndHostsslRejectsThePooler() throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", "disable")) {
            SQLException e = assertThrows(SQLException.class, () -> f.connect("testdb", USER, PASSWORD).close());
            assertTrue(e.getMessage().contains("no encryption") || e.getMessage().contains("pg_hba.conf"),
                    e.getMessage());
            try (Connection md5 = f.connect()) {
                assertEquals("f", sslOfMyBackend(md5));
            }
        }
    }

    @Test
    void verifyFullRefusesACertificateForAnotherHostName() throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", "verify-full",
                "server_tls_ca_file", certs.caCert().toString(), "server_login_retry", "60")) {
            String e = refusedLogin(f, "wrongname");
            assertTrue(e.contains("db.wrong.test"), e);
            f.awaitLog("S-\\d+: .*server login failed: TLS handshake failed: certificate verify failed.*db\\.wrong\\.test"
                    + ".*server_tls_sslmode=verify-full", Duration.ofSeconds(10));
        }
        try (PoolerFixture f = pooler("server_tls_sslmode", "verify-ca", "server_tls_ca_file", certs.caCert().toString());
             Connection c = f.connect("wrongname", USER, PASSWORD)) {
            assertEquals("t", sslOfMyBackend(c), "verify-ca does not check the name, as libpq");
        }
    }

    @Test
    void verifyCaRefusesACertificateOfAnotherCa() throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", "verify-ca",
                "server_tls_ca_file", certs.otherCaCert().toString(), "server_login_retry", "60")) {
            String e = refusedLogin(f, "testdb");
            assertTrue(e.contains(certs.otherCaCert().toString()), "names the CA file it checked against: " + e);
        }
        // No server_tls_ca_file: the JDK's default CAs, which do not know the test CA (PgBouncer: the system's).
        try (PoolerFixture f = pooler("server_tls_sslmode", "verify-full", "server_login_retry", "60")) {
            String e = refusedLogin(f, "testdb");
            assertTrue(e.contains("unable to find valid certification path"), e);
        }
    }

    @Test
    void aCorrectedServerCaFileIsTriedAtOnceDespiteTheCachedError() throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", "verify-full",
                "server_tls_ca_file", certs.otherCaCert().toString(), "server_login_retry", "60")) {
            refusedLogin(f, "testdb");
            try (Connection admin = admin(f); Statement st = admin.createStatement()) {
                st.execute("SET server_tls_ca_file = '" + certs.caCert() + "'");
            }
            // The cached error was about the old CA: not served for the 60 s of server_login_retry.
            try (Connection c = f.connect("testdb", USER, PASSWORD)) {
                assertEquals("t", sslOfMyBackend(c));
            }
        }
    }

    /**
     * A login whose TLS to PostgreSQL fails, as PgBouncer handles it: the client waiting for it is not failed (it
     * runs into its own connect timeout, PgBouncer's test_server_ssl_verify), the log says why, and a client that
     * comes within server_login_retry gets that reason as the cached error. Returns that client's message.
     */
    private static String refusedLogin(PoolerFixture f, String db) throws Exception {
        SQLException waited = assertThrows(SQLException.class,
                () -> f.connect(db, USER, PASSWORD, "loginTimeout=2").close());
        assertTrue(waited.getMessage().contains("timed out"), "no error reaches the waiting client: " + waited);
        f.awaitLog("S-\\d+: .*server login failed: TLS handshake failed: certificate verify failed",
                Duration.ofSeconds(10));
        SQLException cached = assertThrows(SQLException.class, () -> f.connect(db, USER, PASSWORD).close());
        assertTrue(cached.getMessage().contains(
                "server login has been failing, cached error: TLS handshake failed: certificate verify failed"),
                cached.getMessage());
        return cached.getMessage();
    }

    @Test
    void aClientCertificateGoesToTheServer() throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", "require", "server_tls_cert_file",
                certs.clientCert().toString(), "server_tls_key_file", certs.clientKey().toString());
             Connection c = f.connect("testdb", USER, PASSWORD)) {
            assertEquals("/CN=" + USER, one(c, "SELECT client_dn FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
        }
    }

    // ---------------------------------------------------------------- client side

    private static String[] clientTlsSettings(String mode, Path cert, Path key, String... more) {
        List<String> kv = new ArrayList<>(List.of("client_tls_sslmode", mode, "client_tls_cert_file", cert.toString(),
                "client_tls_key_file", key.toString()));
        kv.addAll(List.of(more));
        return kv.toArray(String[]::new);
    }

    private static String[] jdbcTls(String sslmode) {
        return new String[] {"sslmode=" + sslmode, "sslrootcert=" + certs.caCert()};
    }

    @Test
    void consoleSetOfOneTlsFileAtATimeKeepsTheOldContextUntilTheSetIsUsable() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.wrongHostCert(), certs.wrongHostKey()));
             Connection admin = admin(f); Statement st = admin.createStatement()) {
            assertThrows(SQLException.class, () -> f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full")).close(),
                    "the certificate in use is for another host");
            // PgBouncer's test_client_ssl_set_change_ca order: the new key first, beside the old certificate.
            st.execute("SET client_tls_key_file = '" + certs.serverKey() + "'");
            assertTrue(String.valueOf(st.getWarnings()).contains(
                    "TLS settings could not be applied, still using old configuration"), st.getWarnings()::toString);
            f.awaitLog("ERROR TLS settings could not be applied, still using old configuration: .*client_tls_key_file "
                    + ".*does not belong to the certificate", Duration.ofSeconds(10));
            try (Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-ca"))) {
                assertEquals("t", sslOfMyBackend(c), "the old key and certificate still serve");
            }
            st.clearWarnings();
            st.execute("SET client_tls_cert_file = '" + certs.serverCert() + "'");
            assertNull(st.getWarnings(), "key and certificate match now: in force");
            try (Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full"))) {
                assertEquals("t", sslOfMyBackend(c), "the new certificate names this host");
            }
        }
    }

    @Test
    void requireServesTlsClientsAndRefusesPlainOnes() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.serverCert(), certs.serverKey()))) {
            try (Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full"))) {
                assertEquals("t", sslOfMyBackend(c));
                List<String> tls = show(f, "CLIENTS", "tls");
                assertTrue(tls.stream().anyMatch(t -> t.startsWith("TLSv1.3/")), tls.toString());
            }
            SQLException e = assertThrows(SQLException.class,
                    () -> f.connect("testdb", USER, PASSWORD, "sslmode=disable").close());
            assertEquals("08P01", e.getSQLState(), e.getMessage());
            assertTrue(e.getMessage().contains("SSL required"), e.getMessage());
            f.awaitLog("login attempt: db=testdb user=tls_user tls=TLSv1\\.3/TLS_", Duration.ofSeconds(10));

            for (String mode : List.of("require", "verify-full")) {
                Processes.Result psql = f.run("psql", USER, PASSWORD, Duration.ofSeconds(30), "-X", "-A", "-t",
                        "-c", "select 'over ' || (select ssl from pg_stat_ssl where pid = pg_backend_pid())",
                        "dbname=testdb sslmode=" + mode + " sslrootcert=" + certs.caCert());
                assertEquals(0, psql.exitCode(), psql.output());
                assertEquals("over true", psql.stdout().trim(), psql.output());
            }
            // The unix socket never uses TLS, and require does not refuse it (PgBouncer's rule).
            Processes.Result unix = Processes.run(List.of(pg.binary("psql").toString(), "-h", f.dir().toString(),
                    "-p", Integer.toString(f.port()), "-U", USER, "-X", "-A", "-t", "-c", "select 1",
                    "dbname=testdb sslmode=disable"), java.util.Map.of("PGPASSWORD", PASSWORD), null,
                    Duration.ofSeconds(30));
            assertEquals(0, unix.exitCode(), unix.output());
            assertEquals("1", unix.stdout().trim(), unix.output());
        }
    }

    @Test
    void pgbenchChurnsTlsConnectionsOnBothSides() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.serverCert(), certs.serverKey(),
                "server_tls_sslmode", "require", "pool_mode", "transaction", "default_pool_size", "2"))) {
            // -C: a new TLS client connection (SSLRequest, handshake, login) per transaction, 4 at a time.
            Processes.Result bench = f.run("pgbench", USER, PASSWORD, Duration.ofSeconds(90), "-n", "-S", "-C",
                    "-c", "4", "-j", "2", "-t", "50", "dbname=testdb sslmode=require");
            assertEquals(0, bench.exitCode(), bench.output());
            assertTrue(bench.stdout().contains("number of transactions actually processed: 200/200"), bench.output());
            assertTrue(show(f, "SERVERS", "tls").stream().allMatch(t -> t.startsWith("TLSv1.3/")));
        }
    }

    @Test
    void cipherSettingsChooseTheSuite() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.serverCert(), certs.serverKey(),
                "client_tls13_ciphers", "TLS_AES_128_GCM_SHA256", "server_tls_sslmode", "require",
                "server_tls_protocols", "tlsv1.2", "server_tls_ciphers", "ECDHE-ECDSA-AES128-GCM-SHA256"));
             Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full"))) {
            assertEquals("TLSv1.3/TLS_AES_128_GCM_SHA256", show(f, "CLIENTS", "tls").get(0));
            assertEquals("TLSv1.2/ECDHE-ECDSA-AES128-GCM-SHA256", show(f, "SERVERS", "tls").get(0));
            assertEquals("TLSv1.2", one(c, "SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"));
        }
    }

    @Test
    void verifyFullClientsRefuseAPoolerCertificateForAnotherHost() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.wrongHostCert(), certs.wrongHostKey()))) {
            SQLException e = assertThrows(SQLException.class,
                    () -> f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full")).close());
            assertTrue(e.getMessage().contains("hostname") || e.getMessage().contains("127.0.0.1"), e.getMessage());
            Processes.Result psql = f.run("psql", USER, PASSWORD, Duration.ofSeconds(30), "-X", "-c", "select 1",
                    "dbname=testdb sslmode=verify-full sslrootcert=" + certs.caCert());
            assertTrue(psql.exitCode() != 0, psql.output());
            assertTrue(psql.stderr().contains("does not match host name"), psql.output());
            try (Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-ca"))) {
                assertEquals("t", sslOfMyBackend(c), "the CA is right: verify-ca accepts it");
            }
        }
    }

    @Test
    void anExpiredPoolerCertificateFailsVerification() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.expiredCert(), certs.expiredKey()))) {
            SQLException e = assertThrows(SQLException.class,
                    () -> f.connect("testdb", USER, PASSWORD, jdbcTls("verify-ca")).close());
            // The JDK's words for a certificate outside its validity dates.
            assertTrue(e.getMessage().contains("validity check failed"), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"verify-ca", "verify-full"})
    void verifyModesRequireAClientCertificate(String mode) throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings(mode, certs.serverCert(), certs.serverKey(),
                "client_tls_ca_file", certs.caCert().toString()))) {
            Processes.Result with = f.run("psql", USER, PASSWORD, Duration.ofSeconds(30), "-X", "-A", "-t", "-c",
                    "select 1", "dbname=testdb sslmode=verify-full sslrootcert=" + certs.caCert() + " sslcert="
                            + certs.clientCert() + " sslkey=" + certs.clientKey());
            assertEquals(0, with.exitCode(), with.output());
            Processes.Result without = f.run("psql", USER, PASSWORD, Duration.ofSeconds(30), "-X", "-c", "select 1",
                    "dbname=testdb sslmode=verify-full sslrootcert=" + certs.caCert() + " sslcert=/nonexistent");
            assertTrue(without.exitCode() != 0, without.output());
            // JSSE's words, or BoringSSL's (the default provider): the reason is in the log either way.
            f.awaitLog("C-\\d+: .*(Empty client certificate chain|CERTIFICATE|[Cc]ertificate required)",
                    Duration.ofSeconds(10));
        }
    }

    @Test
    void directTlsNeedsAlpnPostgresql() throws Exception {
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.serverCert(), certs.serverKey()))) {
            // pgjdbc's sslNegotiation=direct (PostgreSQL 17's): a ClientHello first, ALPN "postgresql".
            try (Connection c = f.connect("testdb", USER, PASSWORD, "sslmode=verify-full",
                    "sslrootcert=" + certs.caCert(), "sslNegotiation=direct")) {
                assertEquals("t", sslOfMyBackend(c));
                assertTrue(show(f, "CLIENTS", "tls").stream().anyMatch(t -> t.startsWith("TLSv1.3/")));
            }
            // A TLS client without ALPN (an HTTPS probe, say) gets an error over TLS and the connection ends.
            javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
            ctx.init(null, new javax.net.ssl.TrustManager[] {new javax.net.ssl.X509TrustManager() {
                @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
                @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() {
                    return new java.security.cert.X509Certificate[0];
                }
            }}, null);
            try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) ctx.getSocketFactory()
                    .createSocket("127.0.0.1", f.port())) {
                socket.setSoTimeout(10_000);
                socket.startHandshake();
                byte[] answer = socket.getInputStream().readAllBytes();
                String text = new String(answer, java.nio.charset.StandardCharsets.ISO_8859_1);
                assertEquals('E', (char) answer[0], text);
                assertTrue(text.contains("direct SSL connection without ALPN protocol postgresql"), text);
            }
        }
    }

    /** Trusts the test CA only: the pooler's certificate must verify. */
    private static javax.net.ssl.SSLContext trustingTestCa() throws Exception {
        java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        store.load(null, null);
        try (var in = Files.newInputStream(certs.caCert())) {
            store.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        javax.net.ssl.SSLContext ctx = javax.net.ssl.SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    @Test
    void aCancelRequestSentOverTlsCancels() throws Exception {
        // pgjdbc and libpq before 17 send cancels in plain text; this one goes the way libpq 17 does: SSLRequest,
        // handshake, then the CancelRequest inside TLS.
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.serverCert(), certs.serverKey()));
             RawClient session =
                     RawClient.connectTls(f, trustingTestCa())) {
            session.setReadTimeout(Duration.ofSeconds(30));
            var login = session.login(USER, PASSWORD, "testdb");
            var key = login.stream().filter(m -> m.type() == 'K').findFirst().orElseThrow();
            session.send(RawClient.query("SELECT pg_sleep(60)"));
            PoolerFixture.await("the sleep to run", Duration.ofSeconds(20), () -> "active".equals(
                    pg.queryValue("SELECT coalesce(max(state), '') FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")));
            try (RawClient cancel =
                         RawClient.connectTls(f, trustingTestCa())) {
                cancel.send(java.nio.ByteBuffer.allocate(16).putInt(16).putInt(80877102)
                        .put(key.body(), 0, 8).array());
                assertTrue(cancel.awaitClosed(Duration.ofSeconds(10)), "the pooler closes the cancel connection");
            }
            var answer = session.readUntil('Z');
            var error = answer.stream().filter(m -> m.type() == 'E').findFirst().orElseThrow(
                    () -> new AssertionError("no error: " + answer));
            assertEquals("57014", error.fields().get('C'), error.fields().toString());
        }
    }

    @Test
    void pgjdbcCancelsWithAPlainCancelRequestUnderRequire() throws Exception {
        // pgjdbc opens its cancel connection without TLS; as in PgBouncer, require does not refuse a cancel.
        try (PoolerFixture f = pooler(clientTlsSettings("require", certs.serverCert(), certs.serverKey()));
             Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full"));
             Statement st = c.createStatement()) {
            CompletableFuture<SQLException> sleep = CompletableFuture.supplyAsync(() -> {
                try {
                    st.execute("SELECT pg_sleep(60)");
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            PoolerFixture.await("the sleep to run", Duration.ofSeconds(20), () -> "active".equals(
                    pg.queryValue("SELECT coalesce(max(state), '') FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(60)'")));
            st.cancel();
            SQLException e = sleep.get(20, TimeUnit.SECONDS);
            assertEquals("57014", e == null ? null : e.getSQLState(), String.valueOf(e));
            assertEquals("1", one(c, "SELECT 1"), "the connection goes on after the cancel");
        }
    }

    // ---------------------------------------------------------------- config and reload

    @Test
    void unreadableFilesAreRefusedAtStartNamingTheKey() throws Exception {
        Path dir = Files.createTempDirectory("poolctl-tls-ini-");
        try {
            Path ini = dir.resolve("pgbouncer.ini");
            Files.writeString(ini, "[databases]\n[pgbouncer]\nlisten_port = 0\nclient_tls_sslmode = require\n"
                    + "client_tls_key_file = " + dir.resolve("missing.key") + "\nclient_tls_cert_file = "
                    + certs.serverCert() + "\n");
            ConfigException e = assertThrows(ConfigException.class, () -> PoolerDaemon.start(ini, true, 0).close());
            assertTrue(e.getMessage().contains("client_tls_key_file: cannot read " + dir.resolve("missing.key")),
                    e.getMessage());
            Files.writeString(ini, "[databases]\n[pgbouncer]\nlisten_port = 0\nclient_tls_sslmode = require\n"
                    + "client_tls_key_file = " + certs.serverKey() + "\nclient_tls_cert_file = " + ini + "\n");
            e = assertThrows(ConfigException.class, () -> PoolerDaemon.start(ini, true, 0).close());
            assertTrue(e.getMessage().contains("client TLS: cannot use client_tls_key_file"), e.getMessage());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void reloadPicksUpNewFilesAndKeepsTheOldOnesWhenTheNewAreBroken() throws Exception {
        Path dir = Files.createTempDirectory("poolctl-tls-files-");
        Path cert = dir.resolve("pooler.crt");
        Path key = dir.resolve("pooler.key");
        Files.copy(certs.serverCert(), cert);
        Files.copy(certs.serverKey(), key);
        try (PoolerFixture f = pooler(clientTlsSettings("require", cert, key))) {
            Files.writeString(cert, "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n");
            reload(f);
            f.awaitLog("TLS settings not applied, keeping the previous certificates and keys: .*client_tls",
                    Duration.ofSeconds(10));
            try (Connection c = f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full"))) {
                assertEquals("1", one(c, "SELECT 1"), "the running certificate stays in use");
            }
            // A rotated certificate (here: one for another host) is what new handshakes get after RELOAD.
            Files.copy(certs.wrongHostCert(), cert, StandardCopyOption.REPLACE_EXISTING);
            Files.copy(certs.wrongHostKey(), key, StandardCopyOption.REPLACE_EXISTING);
            reload(f);
            assertThrows(SQLException.class, () -> f.connect("testdb", USER, PASSWORD, jdbcTls("verify-full")).close());
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void reload(PoolerFixture f) throws SQLException {
        try (Connection admin = admin(f); Statement st = admin.createStatement()) {
            st.execute("RELOAD");
        }
    }

    @Test
    void aChangedServerSslmodeReconnectsTheServers() throws Exception {
        try (PoolerFixture f = pooler("server_tls_sslmode", "disable");
             Connection md5 = f.connect()) {
            assertEquals("f", sslOfMyBackend(md5));
            try (Connection admin = admin(f); Statement st = admin.createStatement()) {
                st.execute("SET server_tls_sslmode = 'require'");
                assertNull(st.getWarnings(), "the contexts were rebuilt");
                // As in PgBouncer the value is stored, answered with a notice, and the running contexts stay.
                st.execute("SET server_tls_protocols = 'sslv3'");
                assertTrue(String.valueOf(st.getWarnings()).contains(
                        "TLS settings could not be applied, still using old configuration"), st.getWarnings()::toString);
            }
            f.awaitLog("ERROR TLS settings could not be applied, still using old configuration: .*server_tls_protocols: "
                    + "unknown TLS protocol 'sslv3'", Duration.ofSeconds(10));
            f.awaitLog("server TLS settings changed, reconnecting servers", Duration.ofSeconds(10));
            // The plain-text server was retired: the same client's next transaction runs on an encrypted one.
            assertEquals("t", sslOfMyBackend(md5));
            try (Connection c = f.connect("testdb", USER, PASSWORD)) {
                assertEquals("t", sslOfMyBackend(c));
            }
        }
    }
}

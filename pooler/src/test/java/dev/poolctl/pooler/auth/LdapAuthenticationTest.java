package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.pooler.config.LdapOptions;
import dev.poolctl.pooler.support.TestCertificates;
import dev.poolctl.pooler.support.TestDirectory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * LDAP password checks against a real LDAP server on loopback (UnboundID's in-memory directory): simple bind,
 * search+bind, a server list, ldaps and StartTLS with certificate and host name checks, and what never reaches the
 * server.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class LdapAuthenticationTest {
    private static Path certDir;
    private static TestCertificates certs;
    private static TestDirectory directory;

    @BeforeAll
    static void start() throws Exception {
        certDir = Files.createTempDirectory("poolctl-ldap-certs-");
        certs = TestCertificates.create(certDir, "alice");
        directory = TestDirectory.start(certs.serverCert(), certs.serverKey())
                .person("alice", "Alice", "alice_pw")
                .person("bob", "Twin", "bob_pw")
                .person("carol", "Twin", "carol_pw");
    }

    @AfterAll
    static void stop() throws Exception {
        directory.close();
        try (var files = Files.list(certDir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
        Files.delete(certDir);
    }

    private static LdapOptions options(String text) {
        return LdapOptions.parse(text.replace("${port}", Integer.toString(directory.ldapPort()))
                .replace("${ldaps}", Integer.toString(directory.ldapsPort())));
    }

    private static LdapAuthentication.Result check(String options, String user, String password) {
        return LdapAuthentication.check(options(options), user, password, trusting(certs.caCert()));
    }

    private static LdapTrust trusting(Path caFile) {
        return new LdapTrust(caFile, true);
    }

    private static final String SIMPLE = "ldapserver=127.0.0.1 ldapport=${port} ldapprefix=uid= ldapsuffix=\","
            + TestDirectory.PEOPLE + "\"";
    private static final String SEARCH = "ldapserver=127.0.0.1 ldapport=${port} ldapbasedn=\"" + TestDirectory.BASE
            + "\" ldapbinddn=\"" + TestDirectory.READER_DN + "\" ldapbindpasswd=" + TestDirectory.READER_PASSWORD;

    @Test
    void simpleBindAcceptsTheRightPasswordOnly() {
        assertTrue(check(SIMPLE, "alice", "alice_pw").ok());
        LdapAuthentication.Result wrong = check(SIMPLE, "alice", "bob_pw");
        assertFalse(wrong.ok());
        assertTrue(wrong.warnings().get(0).startsWith("LDAP login failed for user uid=alice," + TestDirectory.PEOPLE
                + " on server 127.0.0.1:" + directory.ldapPort() + ": "), wrong.warnings().toString());
        assertFalse(check(SIMPLE, "nobody", "x").ok());
    }

    @Test
    void searchBindFindsTheEntryThenBindsAsIt() {
        assertTrue(check(SEARCH, "alice", "alice_pw").ok());
        assertFalse(check(SEARCH, "alice", "wrong").ok());
        assertEquals(List.of("LDAP user \"nobody\" does not exist", "LDAP search for filter \"(uid=nobody)\" on server"
                + " \"127.0.0.1:" + directory.ldapPort() + "\" returned no entries."),
                check(SEARCH, "nobody", "x").warnings());
        assertTrue(check(SEARCH + " ldapsearchattribute=cn", "Alice", "alice_pw").ok(), "by another attribute");
        LdapAuthentication.Result twins = check(SEARCH + " ldapsearchattribute=cn", "Twin", "bob_pw");
        assertFalse(twins.ok());
        assertEquals("LDAP user \"Twin\" is not unique", twins.warnings().get(0));
        assertTrue(check("ldapurl=\"ldap://127.0.0.1:${port}/" + TestDirectory.BASE + "?uid?sub\"", "alice", "alice_pw")
                .ok(), "anonymous search, as PgBouncer's own test configures it");
        assertTrue(check("ldapserver=127.0.0.1 ldapport=${port} ldapbasedn=\"" + TestDirectory.BASE
                + "\" ldapsearchfilter=\"(|(uid=$username)(cn=$username))\"", "Alice", "alice_pw").ok());
        assertTrue(check("ldapserver=127.0.0.1 ldapport=${port} ldapbasedn=\"" + TestDirectory.BASE
                + "\" ldapsearchfilter=\"uid=$username\"", "alice", "alice_pw").ok(),
                "a filter without parentheses, as in PgBouncer's own test (libldap accepts it)");
        LdapAuthentication.Result reader = check(SEARCH.replace(TestDirectory.READER_PASSWORD, "nope"), "alice",
                "alice_pw");
        assertFalse(reader.ok());
        assertTrue(reader.warnings().get(0).startsWith("could not perform initial LDAP bind for ldapbinddn \""
                + TestDirectory.READER_DN + "\""), reader.warnings().toString());
    }

    /** Nothing the server would have to escape, and no empty password (an anonymous bind), is ever sent. */
    @Test
    void filterCharactersAndEmptyPasswordsNeverReachTheServer() {
        int before = directory.binds();
        for (String name : List.of("*", "a)(uid=*", "a\\2a", "a/b")) {
            LdapAuthentication.Result r = check(SEARCH, name, "alice_pw");
            assertFalse(r.ok(), name);
            assertEquals(List.of("invalid character in user name for LDAP authentication"), r.warnings());
        }
        assertFalse(check(SIMPLE, "alice", "").ok());
        assertEquals(before, directory.binds());
    }

    @Test
    void theNextServerOfTheListAnswersWhenTheFirstRefuses() {
        // Nothing listens on 127.0.0.2 (the directory listens on 127.0.0.1 only): that connect is refused.
        LdapAuthentication.Result r = check(SIMPLE.replace("ldapserver=127.0.0.1",
                "ldapserver=\"127.0.0.2 127.0.0.1\""), "alice", "alice_pw");
        assertTrue(r.ok(), r.warnings().toString());
        LdapAuthentication.Result none = check(SIMPLE.replace("ldapserver=127.0.0.1", "ldapserver=127.0.0.2"),
                "alice", "alice_pw");
        assertFalse(none.ok());
        assertTrue(none.warnings().get(0).startsWith("could not connect to LDAP server ldap://127.0.0.2:"),
                none.warnings().toString());
    }

    @Test
    void ldapsAndStartTlsCheckTheCertificateAndTheHostName() {
        String ldaps = "ldapurl=\"ldaps://localhost:${ldaps}/" + TestDirectory.BASE + "?uid?sub\"";
        assertTrue(check(ldaps, "alice", "alice_pw").ok());
        String startTls = SIMPLE.replace("127.0.0.1", "localhost") + " ldaptls=1";
        assertTrue(check(startTls, "alice", "alice_pw").ok());
        LdapAuthentication.Result untrusted = LdapAuthentication.check(options(ldaps), "alice", "alice_pw",
                trusting(certs.otherCaCert()));
        assertFalse(untrusted.ok(), "a CA that signed nothing of the server's");
        LdapAuthentication.Result untrustedStartTls = LdapAuthentication.check(options(startTls), "alice", "alice_pw",
                trusting(certs.otherCaCert()));
        assertFalse(untrustedStartTls.ok());
        assertTrue(untrustedStartTls.warnings().get(0).startsWith("could not start LDAP TLS session: "),
                untrustedStartTls.warnings().toString());
    }

    @Test
    void aCertificateForAnotherHostIsRefused() {
        try (TestDirectory other = TestDirectory.start(certs.wrongHostCert(), certs.wrongHostKey())
                .person("alice", "Alice", "alice_pw")) {
            LdapOptions ldaps = LdapOptions.parse("ldapurl=\"ldaps://localhost:" + other.ldapsPort() + "/"
                    + TestDirectory.BASE + "?uid?sub\"");
            assertFalse(LdapAuthentication.check(ldaps, "alice", "alice_pw", trusting(certs.caCert())).ok());
            LdapOptions startTls = LdapOptions.parse("ldapserver=localhost ldapport=" + other.ldapPort()
                    + " ldaptls=1 ldapprefix=uid= ldapsuffix=\"," + TestDirectory.PEOPLE + "\"");
            assertFalse(LdapAuthentication.check(startTls, "alice", "alice_pw", trusting(certs.caCert())).ok());
            LdapOptions plain = LdapOptions.parse("ldapserver=localhost ldapport=" + other.ldapPort()
                    + " ldapprefix=uid= ldapsuffix=\"," + TestDirectory.PEOPLE + "\"");
            assertTrue(LdapAuthentication.check(plain, "alice", "alice_pw", trusting(certs.caCert())).ok(),
                    "the same server without TLS: the refusals above were the host name check");
        }
    }

    @Test
    void anUnreadableCaFileIsARefusalThatSaysSo(@TempDir Path dir) {
        LdapAuthentication.Result r = LdapAuthentication.check(options(SIMPLE), "alice", "alice_pw",
                trusting(dir.resolve("missing.crt")));
        assertFalse(r.ok());
        assertTrue(r.warnings().get(0).startsWith("could not set up TLS for LDAP with the CA file " + dir.resolve("missing.crt")), r.warnings().toString());
    }

    @Test
    void theTlsChecksAreReadWhereLibldapReadsThem(@TempDir Path dir) throws Exception {
        Path conf = dir.resolve("ldap.conf");
        Files.writeString(conf, "# test\nBASE dc=example,dc=net\ntls_cacert   /etc/ssl/ldap-ca.pem\n");
        Path never = dir.resolve("never.conf");
        Files.writeString(never, "TLS_REQCERT never\n");
        Path none = dir.resolve("none.conf");
        assertEquals(new LdapTrust(Path.of("/x/ca.pem"), true), LdapTrust.of(Map.of("LDAPTLS_CACERT", "/x/ca.pem",
                "LDAPCONF", conf.toString()), none), "LDAPTLS_CACERT first");
        assertEquals(new LdapTrust(Path.of("/etc/ssl/ldap-ca.pem"), true), LdapTrust.of(Map.of("LDAPCONF",
                conf.toString()), none));
        assertEquals(new LdapTrust(Path.of("/etc/ssl/ldap-ca.pem"), true), LdapTrust.of(Map.of(), conf),
                "the system ldap.conf");
        assertEquals(new LdapTrust(null, true), LdapTrust.of(Map.of(), none), "none: the JVM's trust store");
        assertEquals(new LdapTrust(null, false), LdapTrust.of(Map.of("LDAPCONF", never.toString()), none),
                "PgBouncer's own LDAP test runs with TLS_REQCERT never");
        assertEquals(new LdapTrust(null, false), LdapTrust.of(Map.of("LDAPTLS_REQCERT", "allow"), none));
        assertEquals(new LdapTrust(null, true), LdapTrust.of(Map.of("LDAPTLS_REQCERT", "demand"), never),
                "the environment wins over the file");
    }

    @Test
    void reqcertNeverAcceptsAnyCertificateAndHostAndDemandDoesNot() {
        try (TestDirectory other = TestDirectory.start(certs.wrongHostCert(), certs.wrongHostKey())
                .person("alice", "Alice", "alice_pw")) {
            LdapOptions ldaps = LdapOptions.parse("ldapurl=\"ldaps://127.0.0.1:" + other.ldapsPort() + "/"
                    + TestDirectory.BASE + "??sub?uid=$username\"");
            assertTrue(LdapAuthentication.check(ldaps, "alice", "alice_pw", new LdapTrust(null, false)).ok());
            assertFalse(LdapAuthentication.check(ldaps, "alice", "alice_pw", new LdapTrust(null, true)).ok(),
                    "the JVM's trust store knows no test CA");
        }
    }
}

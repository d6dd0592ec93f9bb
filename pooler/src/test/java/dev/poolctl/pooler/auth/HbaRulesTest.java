package dev.poolctl.pooler.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HbaRulesTest {
    @TempDir
    Path dir;

    private final List<String> warnings = new ArrayList<>();

    private HbaRules rules(String content) throws IOException {
        return rules(content, IdentMaps.NONE);
    }

    private HbaRules rules(String content, IdentMaps idents) throws IOException {
        Path f = dir.resolve("hba.conf");
        Files.writeString(f, content);
        return HbaRules.load(f, idents, warnings);
    }

    private static InetAddress ip(String s) throws IOException {
        return InetAddress.getByName(s); // literals only in these tests
    }

    private static HbaRules.Method method(HbaRules.Rule r) {
        return r == null ? null : r.method();
    }

    @Test
    void theFirstMatchingRuleDecidesByTypeAddressDatabaseAndUser() throws IOException {
        HbaRules r = rules("""
                # comment line
                local   all      all                   peer
                host    app      alice  10.0.0.0/8     scram-sha-256
                host    all      all    10.1.0.0 255.255.0.0 reject   # mask form
                host    all      all    127.0.0.1/32   md5
                host    all      all    ::1/128        trust
                hostssl all      all    all            cert
                """);
        assertTrue(warnings.isEmpty(), warnings.toString());
        assertEquals(HbaRules.Method.PEER, method(r.match(null, false, false, "app", "alice")));
        assertEquals(HbaRules.Method.SCRAM_SHA_256, method(r.match(ip("10.1.2.3"), false, false, "app", "alice")));
        assertEquals(HbaRules.Method.REJECT, method(r.match(ip("10.1.2.3"), false, false, "app", "bob")));
        assertEquals(HbaRules.Method.MD5, method(r.match(ip("127.0.0.1"), false, false, "x", "y")));
        assertEquals(HbaRules.Method.TRUST, method(r.match(ip("::1"), false, false, "x", "y")));
        assertNull(r.match(ip("192.168.1.1"), false, false, "x", "y"), "hostssl needs TLS");
        assertEquals(HbaRules.Method.CERT, method(r.match(ip("192.168.1.1"), true, false, "x", "y")));
        assertEquals(4, r.match(ip("10.1.2.3"), false, false, "app", "bob").line());
    }

    /** PgBouncer's hba.c: the rest of an ldap line is its options; options it cannot use fail the logins. */
    @Test
    void anLdapRuleCarriesTheRestOfItsLineAsOptions() throws IOException {
        HbaRules r = rules("""
                host all ldapuser1 127.0.0.1/32 ldap ldapurl="ldap://127.0.0.1:12345/dc=example,dc=net?uid?sub"
                host all ldapuser2 127.0.0.1/32 ldap ldapserver=h ldapprefix=cn= ldapbasedn=dc=x
                host all all       127.0.0.1/32 trust
                """);
        HbaRules.Rule one = r.match(ip("127.0.0.1"), false, false, "db", "ldapuser1");
        assertEquals(HbaRules.Method.LDAP, method(one));
        assertEquals("dc=example,dc=net", one.ldap().baseDn());
        assertEquals(12345, one.ldap().effectivePort());
        HbaRules.Rule two = r.match(ip("127.0.0.1"), false, false, "db", "ldapuser2");
        assertEquals(HbaRules.Method.LDAP, method(two), "kept, so that its logins fail rather than reach trust");
        assertNull(two.ldap());
        assertEquals(List.of(dir.resolve("hba.conf") + ": hba line 2: cannot mix options for simple bind and search+bind"
                + " modes; LDAP logins by this line fail"), warnings);
    }

    @Test
    void hostnosslAndHostsslSplitByTls() throws IOException {
        HbaRules r = rules("hostnossl all all all reject\nhost all all all md5\n");
        assertEquals(HbaRules.Method.REJECT, method(r.match(ip("127.0.0.1"), false, false, "d", "u")));
        assertEquals(HbaRules.Method.MD5, method(r.match(ip("127.0.0.1"), true, false, "d", "u")));
    }

    @Test
    void keywordsListsQuotedNamesSameuserAndReplication() throws IOException {
        HbaRules r = rules("""
                host sameuser        all          all trust
                host "all"           bob          all md5
                host db1,db2, db3    carol,"x y"  all password
                host replication     repl         all scram-sha-256
                """);
        assertTrue(warnings.isEmpty(), warnings.toString());
        assertEquals(HbaRules.Method.TRUST, method(r.match(ip("127.0.0.1"), false, false, "alice", "alice")));
        assertNull(r.match(ip("127.0.0.1"), false, false, "other", "bob"), "a quoted \"all\" is a database name");
        assertEquals(HbaRules.Method.MD5, method(r.match(ip("127.0.0.1"), false, false, "all", "bob")));
        assertEquals(HbaRules.Method.PASSWORD, method(r.match(ip("127.0.0.1"), false, false, "db3", "x y")));
        assertNull(r.match(ip("127.0.0.1"), false, false, "replication", "repl"), "the keyword is not a name");
        assertEquals(HbaRules.Method.SCRAM_SHA_256, method(r.match(ip("127.0.0.1"), false, true, "whatever", "repl")));
    }

    @Test
    void includedNameFilesAreReadRelativeToTheHbaFile() throws IOException {
        Files.writeString(dir.resolve("users.txt"), "alice\nbob, carol # team\n@more.txt\n");
        Files.writeString(dir.resolve("more.txt"), "dave\n");
        HbaRules r = rules("host all @users.txt all md5\n");
        assertTrue(warnings.isEmpty(), warnings.toString());
        for (String u : List.of("alice", "bob", "carol", "dave")) {
            assertEquals(HbaRules.Method.MD5, method(r.match(ip("127.0.0.1"), false, false, "d", u)), u);
        }
        assertNull(r.match(ip("127.0.0.1"), false, false, "d", "eve"));
    }

    @Test
    void aFileThatIncludesItselfStopsWithAWarning() throws IOException {
        Files.writeString(dir.resolve("loop.txt"), "@loop.txt\n");
        HbaRules r = rules("host all @loop.txt all md5\nhost all all all trust\n");
        assertEquals(1, r.rules().size());
        assertEquals(1, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).contains("hba line 1"), warnings.toString());
    }

    @Test
    void linesItCannotReadAreSkippedWithAWarningAndTheRestIsRead() throws IOException {
        HbaRules r = rules("""
                host all +admins all md5
                host all all 999.1.1.1/32 md5
                host all all example.com md5
                host all all 10.0.0.0/33 md5
                host all all 10.0.0.0 md5
                host all all all ident
                host all all all md5 extra
                host all all all md5 map=nosuch
                samehost all all all md5
                host all all all trust
                """);
        assertEquals(1, r.rules().size());
        assertEquals(9, warnings.size(), warnings.toString());
        assertEquals(HbaRules.Method.TRUST, method(r.match(ip("127.0.0.1"), false, false, "d", "u")));
    }

    @Test
    void mapsNameAnIdentMapAndTheMapDecidesWhoMayBeWho() throws IOException {
        List<String> w = new ArrayList<>();
        IdentMaps idents = IdentMaps.parse(List.of("# map sys db", "ops  root   postgres", "ops  alice  all",
                "bad line with too many", "certs \"CN x\" app"), dir.resolve("ident.conf"), w);
        assertEquals(1, w.size(), w.toString());
        HbaRules r = rules("local all all peer map=ops\n", idents);
        assertTrue(warnings.isEmpty(), warnings.toString());
        IdentMaps.Map ops = r.match(null, false, false, "d", "postgres").identMap();
        assertTrue(ops.allows("root", "postgres"));
        assertTrue(!ops.allows("root", "app"));
        assertTrue(ops.allows("alice", "anyone"));
        assertTrue(idents.map("certs").allows("CN x", "app"));
    }

    @Test
    void anUnreadableFileGivesNoRulesAndAWarning() {
        HbaRules r = HbaRules.load(dir.resolve("missing.conf"), IdentMaps.NONE, warnings);
        assertTrue(r.rules().isEmpty());
        assertEquals(1, warnings.size());
    }
}

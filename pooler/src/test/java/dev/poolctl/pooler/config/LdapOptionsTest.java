package dev.poolctl.pooler.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.unboundid.ldap.sdk.SearchScope;
import java.util.List;
import org.junit.jupiter.api.Test;

/** auth_ldap_options and hba ldap options, read as PgBouncer 1.25's ldapauth.c reads them. */
class LdapOptionsTest {
    private static String refusal(String text) {
        return assertThrows(IllegalArgumentException.class, () -> LdapOptions.parse(text)).getMessage();
    }

    @Test
    void simpleBindBuildsTheDnFromPrefixAndSuffix() {
        LdapOptions o = LdapOptions.parse("ldapserver=ldap.example.net ldapprefix=\"cn=\" ldapsuffix=\", dc=example, dc=net\"");
        assertFalse(o.searchBind());
        assertEquals(List.of("ldap.example.net"), o.servers());
        assertEquals("cn=alice, dc=example, dc=net", o.simpleBindDn("alice"));
        assertEquals(389, o.effectivePort());
        assertEquals("ldap", o.scheme());
        assertFalse(o.startTls());
    }

    @Test
    void searchBindWithAttributeFilterAndCommaSeparators() {
        LdapOptions o = LdapOptions.parse("ldapserver=\"a.example b.example\", ldapport=10389, ldaptls=1,"
                + " ldapbasedn=\"dc=example,dc=net\" ldapbinddn=\"cn=reader,dc=example,dc=net\" ldapbindpasswd=s3cret"
                + " ldapsearchattribute=cn");
        assertTrue(o.searchBind());
        assertEquals(List.of("a.example", "b.example"), o.servers());
        assertEquals(10389, o.effectivePort());
        assertTrue(o.startTls());
        assertEquals("(cn=alice)", o.filterFor("alice"));
        assertEquals(SearchScope.SUB, o.scope());
        assertFalse(o.toString().contains("s3cret"), "the bind password is not printed: " + o);
        LdapOptions filtered = LdapOptions.parse("ldapserver=h ldapbasedn=\"dc=x\" "
                + "ldapsearchfilter=\"(|(uid=$username)(mail=$username))\"");
        assertEquals("(|(uid=bob)(mail=bob))", filtered.filterFor("bob"));
        assertEquals("(uid=bob)", LdapOptions.parse("ldapserver=h ldapbasedn=dc=x").filterFor("bob"),
                "uid is the default attribute");
    }

    @Test
    void ldapUrlSetsSchemeServerPortBaseAttributeScopeAndFilter() {
        LdapOptions o = LdapOptions.parse("ldapurl=\"ldap://127.0.0.1:12345/dc=example,dc=net?uid?sub\"");
        assertEquals(List.of("127.0.0.1"), o.servers());
        assertEquals(12345, o.effectivePort());
        assertEquals("dc=example,dc=net", o.baseDn());
        assertEquals("(uid=u)", o.filterFor("u"));
        assertEquals(SearchScope.SUB, o.scope());
        LdapOptions ldaps = LdapOptions.parse("ldapurl=\"ldaps://ldap.example.net/ou=people,dc=example,dc=net??one?(cn=$username)\"");
        assertEquals("ldaps", ldaps.scheme());
        assertEquals(636, ldaps.effectivePort());
        assertEquals(SearchScope.ONE, ldaps.scope());
        assertEquals("(cn=u)", ldaps.filterFor("u"));
        assertEquals(SearchScope.SUB, LdapOptions.parse("ldapurl=\"ldap://h/dc=x\"").scope(),
                "a URL without a scope searches the subtree, as PostgreSQL");
        assertEquals(636, LdapOptions.parse("ldapscheme=ldaps ldapserver=h ldapprefix=uid=").effectivePort());
    }

    @Test
    void quotesAreDoubledInsideQuotedValuesAndACommentEndsTheOptions() {
        LdapOptions o = LdapOptions.parse("ldapserver=h ldapprefix=\"cn=\"\"x\"\" \" # a comment");
        assertEquals("cn=\"x\" u", o.simpleBindDn("u"));
        assertNull(o.suffix());
    }

    @Test
    void badOptionsAreRefusedWithPgBouncersWords() {
        assertEquals("invalid LDAP option: \"ldaphost\"", refusal("ldaphost=h ldapprefix=cn="));
        assertEquals("invalid ldapscheme value: \"ldapi\"", refusal("ldapscheme=ldapi ldapserver=h ldapprefix=cn="));
        assertEquals("invalid LDAP port number: \"0\"", refusal("ldapport=0 ldapserver=h ldapprefix=cn="));
        assertEquals("invalid LDAP port number: \"x\"", refusal("ldapport=x ldapserver=h ldapprefix=cn="));
        assertEquals("cannot mix options for simple bind and search+bind modes",
                refusal("ldapserver=h ldapprefix=cn= ldapbasedn=dc=x"));
        assertEquals("authentication method \"ldap\" requires argument \"ldapbasedn\", \"ldapprefix\", or"
                + " \"ldapsuffix\" to be set", refusal("ldapserver=h"));
        assertEquals("cannot use ldapsearchattribute together with ldapsearchfilter",
                refusal("ldapserver=h ldapbasedn=dc=x ldapsearchattribute=cn ldapsearchfilter=(cn=$username)"));
        assertTrue(refusal("ldapurl=\"http://h/dc=x\"").startsWith("could not parse LDAP URL"),
                refusal("ldapurl=\"http://h/dc=x\""));
        assertTrue(refusal("ldapbasedn=dc=x").startsWith("LDAP server not specified"));
        assertTrue(refusal("ldapserver= ldapprefix=cn=").contains("has no value"));
        assertTrue(refusal("ldapserver=h ldapprefix").contains("has no value"));
        assertTrue(refusal("ldapserver=\"h ldapprefix=cn=").contains("unterminated"));
        assertEquals("no LDAP options are set", refusal(" "));
        assertTrue(refusal("ldapserver=h ldapprefix=" + "x".repeat(5000)).contains("longer than"));
    }

    @Test
    void cachedParsesOnlyAChangedText() {
        String text = "ldapserver=h1 ldapprefix=cn=";
        LdapOptions first = LdapOptions.cached(text);
        assertSame(first, LdapOptions.cached(new String(text)));
        assertEquals(List.of("h2"), LdapOptions.cached("ldapserver=h2 ldapprefix=cn=").servers());
    }
}

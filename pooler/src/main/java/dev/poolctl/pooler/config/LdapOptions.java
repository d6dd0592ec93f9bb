package dev.poolctl.pooler.config;

import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPURL;
import com.unboundid.ldap.sdk.SearchScope;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * LDAP authentication options, PostgreSQL's pg_hba.conf {@code ldap} options as PgBouncer 1.25 reads them
 * ({@code auth_ldap_options}, or the rest of an hba {@code ldap} line): {@code key=value} pairs, separated by blanks
 * or a comma, a value in double quotes when it holds blanks ({@code ""} for a quote). Simple bind builds the DN from
 * {@code ldapprefix} + user + {@code ldapsuffix}; search+bind looks the user up under {@code ldapbasedn} (bound as
 * {@code ldapbinddn}, or anonymously) by {@code ldapsearchattribute} (default {@code uid}) or
 * {@code ldapsearchfilter} ({@code $username} replaced), then binds as the entry found. {@code ldapurl} sets the
 * scheme, server, port, base DN, attribute, scope and filter at once. Errors use PgBouncer's warning words
 * (ldapauth.c). Immutable; {@link #toString} hides {@code ldapbindpasswd}.
 *
 * <p>Unlike PgBouncer, {@code ldapserver} is required (PgBouncer can look servers up in DNS SRV records of the base
 * DN's domain; poolctl does not), and text it cannot read is an error rather than the end of the options.
 *
 * @param servers one or more host names, tried in order
 * @param port 0 for the scheme's default
 */
public record LdapOptions(String scheme, List<String> servers, int port, boolean startTls, String prefix,
                          String suffix, String baseDn, String bindDn, String bindPassword, String searchAttribute,
                          String searchFilter, SearchScope scope) {
    /** Longest options text read (PgBouncer's MAX_LDAP_CONFIG is 1 KB). */
    static final int MAX_LENGTH = 4096;

    public LdapOptions {
        servers = List.copyOf(servers);
    }

    /** The port connected to: {@code ldapport}, else 636 for ldaps and 389 for ldap. */
    public int effectivePort() {
        return port != 0 ? port : "ldaps".equals(scheme) ? 636 : 389;
    }

    /** Whether the user is looked up first (search+bind) rather than bound as prefix + user + suffix. */
    public boolean searchBind() {
        return baseDn != null;
    }

    /** The DN a simple bind logs in as. */
    public String simpleBindDn(String user) {
        return (prefix == null ? "" : prefix) + user + (suffix == null ? "" : suffix);
    }

    /** The search filter for {@code user} (PgBouncer's format_search_filter, or {@code (attribute=user)}). */
    public String filterFor(String user) {
        if (searchFilter != null) {
            return searchFilter.replace("$username", user);
        }
        return "(" + (searchAttribute != null ? searchAttribute : "uid") + "=" + user + ")";
    }

    @Override
    public String toString() {
        return "LdapOptions[scheme=" + scheme + ", servers=" + servers + ", port=" + effectivePort() + ", tls=" + startTls
                + (searchBind() ? ", basedn=" + baseDn + ", binddn=" + bindDn + ", filter=" + filterFor("$username")
                        : ", prefix=" + prefix + ", suffix=" + suffix) + "]";
    }

    private record Parsed(String text, LdapOptions options) {}

    private static volatile Parsed last;

    /** {@link #parse}, remembering the last text: a login reads auth_ldap_options, which changes only at RELOAD. */
    public static LdapOptions cached(String text) {
        Parsed p = last;
        if (p == null || !p.text().equals(text)) {
            p = new Parsed(text, parse(text));
            last = p;
        }
        return p.options();
    }

    /**
     * Reads the options; linear in their length.
     *
     * @throws IllegalArgumentException with PgBouncer's words, e.g. {@code invalid LDAP option: "ldaphost"}
     */
    public static LdapOptions parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("no LDAP options are set");
        }
        if (text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("The LDAP options are longer than " + MAX_LENGTH + " characters");
        }
        Builder b = new Builder();
        Pairs pairs = new Pairs(text);
        String[] pair;
        while ((pair = pairs.next()) != null) {
            b.set(pair[0], pair[1]);
        }
        return b.build();
    }

    /** PgBouncer's get_key_value over the whole text, stricter: what is not {@code key=value} is an error. */
    private static final class Pairs {
        private final String s;
        private int pos;

        Pairs(String s) {
            this.s = s;
        }

        String[] next() {
            skipBlanks();
            if (pos < s.length() && s.charAt(pos) == ',') {
                pos++;
                skipBlanks();
            }
            if (pos >= s.length() || s.charAt(pos) == '#') {
                return null; // the end, or a comment
            }
            int start = pos;
            String key;
            if (s.charAt(pos) == '"') {
                key = quoted();
            } else {
                while (pos < s.length() && s.charAt(pos) != '=' && !Character.isWhitespace(s.charAt(pos))) {
                    pos++;
                }
                key = s.substring(start, pos);
            }
            if (pos >= s.length() || s.charAt(pos) != '=') {
                throw new IllegalArgumentException("LDAP option \"" + key + "\" has no value (key=value expected)");
            }
            pos++;
            if (pos >= s.length() || Character.isWhitespace(s.charAt(pos)) || s.charAt(pos) == ',') {
                throw new IllegalArgumentException("LDAP option \"" + key + "\" has no value (no blank after =)");
            }
            String value;
            if (s.charAt(pos) == '"') {
                value = quoted();
            } else {
                int v = pos;
                while (pos < s.length() && !Character.isWhitespace(s.charAt(pos)) && s.charAt(pos) != ',') {
                    pos++;
                }
                value = s.substring(v, pos);
            }
            if (key.isEmpty() || value.isEmpty()) {
                throw new IllegalArgumentException("LDAP option \"" + key + "\" has an empty key or value");
            }
            return new String[] {key, value};
        }

        /** A double-quoted string at pos, {@code ""} standing for a quote; pos ends after the closing quote. */
        private String quoted() {
            StringBuilder out = new StringBuilder();
            pos++;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == '"') {
                    if (pos + 1 < s.length() && s.charAt(pos + 1) == '"') {
                        out.append('"');
                        pos += 2;
                        continue;
                    }
                    pos++;
                    return out.toString();
                }
                out.append(c);
                pos++;
            }
            throw new IllegalArgumentException("unterminated quoted string in LDAP options");
        }

        private void skipBlanks() {
            while (pos < s.length() && Character.isWhitespace(s.charAt(pos))) {
                pos++;
            }
        }
    }

    /** The options as read, then checked together (PgBouncer's validate_ldap_options). */
    private static final class Builder {
        String scheme;
        List<String> servers = new ArrayList<>();
        int port;
        boolean startTls;
        String prefix;
        String suffix;
        String baseDn;
        String bindDn;
        String bindPassword;
        String searchAttribute;
        String searchFilter;
        SearchScope scope = SearchScope.SUB;

        void set(String key, String value) {
            switch (key) {
                case "ldaptls" -> startTls = value.equals("1");
                case "ldapscheme" -> {
                    if (!value.equals("ldap") && !value.equals("ldaps")) {
                        throw new IllegalArgumentException("invalid ldapscheme value: \"" + value + "\"");
                    }
                    scheme = value;
                }
                case "ldapport" -> port = port(value);
                case "ldapserver" -> servers = Arrays.stream(value.trim().split("\\s+")).toList();
                case "ldapbinddn" -> bindDn = value;
                case "ldapsearchattribute" -> searchAttribute = value;
                case "ldapsearchfilter" -> searchFilter = value;
                case "ldapbasedn" -> baseDn = value;
                case "ldapbindpasswd" -> bindPassword = value;
                case "ldapprefix" -> prefix = value;
                case "ldapsuffix" -> suffix = value;
                case "ldapurl" -> url(value);
                default -> throw new IllegalArgumentException("invalid LDAP option: \"" + key + "\"");
            }
        }

        private static int port(String value) {
            try {
                int p = Integer.parseInt(value);
                if (p > 0 && p <= 65535) {
                    return p;
                }
            } catch (NumberFormatException e) {
                // as below
            }
            throw new IllegalArgumentException("invalid LDAP port number: \"" + value + "\"");
        }

        /** PgBouncer's parse_ldapurl: what the URL gives replaces what was set before it. */
        private void url(String value) {
            LDAPURL url;
            try {
                url = new LDAPURL(value);
            } catch (LDAPException e) {
                throw new IllegalArgumentException("could not parse LDAP URL \"" + value + "\": "
                        + e.getDiagnosticMessage());
            }
            if (!url.getScheme().equals("ldap") && !url.getScheme().equals("ldaps")) {
                throw new IllegalArgumentException("unsupported LDAP URL scheme: " + url.getScheme());
            }
            scheme = url.getScheme();
            if (url.hostProvided()) {
                servers = List.of(url.getHost());
            }
            port = url.portProvided() ? url.getPort() : 0;
            if (url.baseDNProvided()) {
                baseDn = url.getBaseDN().toString();
            }
            if (url.attributesProvided()) {
                searchAttribute = url.getAttributes()[0]; // only the first, as PgBouncer and PostgreSQL
            }
            if (url.scopeProvided()) {
                scope = url.getScope();
            }
            if (url.filterProvided()) {
                searchFilter = url.getFilter().toString();
            }
        }

        LdapOptions build() {
            if (prefix != null || suffix != null) {
                if (baseDn != null || bindDn != null || bindPassword != null || searchAttribute != null
                        || searchFilter != null) {
                    throw new IllegalArgumentException("cannot mix options for simple bind and search+bind modes");
                }
            } else if (baseDn == null) {
                throw new IllegalArgumentException("authentication method \"ldap\" requires argument \"ldapbasedn\","
                        + " \"ldapprefix\", or \"ldapsuffix\" to be set");
            }
            if (searchAttribute != null && searchFilter != null) {
                throw new IllegalArgumentException("cannot use ldapsearchattribute together with ldapsearchfilter");
            }
            if (servers.isEmpty()) {
                throw new IllegalArgumentException("LDAP server not specified (ldapserver or ldapurl; poolctl does not"
                        + " look servers up in DNS SRV records)");
            }
            return new LdapOptions(scheme == null ? "ldap" : scheme, servers, port, startTls, prefix, suffix, baseDn,
                    bindDn, bindPassword, searchAttribute, searchFilter, scope);
        }
    }
}

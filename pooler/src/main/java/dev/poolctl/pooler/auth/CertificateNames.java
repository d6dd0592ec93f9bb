package dev.poolctl.pooler.auth;

import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

/**
 * Whether a client certificate names a user, as PgBouncer's {@code tls_peer_cert_contains_name} (libusual's
 * tls_check_name) decides for auth_type = cert: a subjectAltName DNS entry, else the subject's CN, compared
 * case-insensitively, with the usual wildcard rule ({@code *.domain.tld}, never {@code *} or {@code *.tld}).
 */
public final class CertificateNames {
    private CertificateNames() {}

    private static final int SAN_DNS = 2;

    public static boolean contains(X509Certificate cert, String name) {
        try {
            Collection<List<?>> sans = cert.getSubjectAlternativeNames();
            if (sans != null) {
                for (List<?> san : sans) {
                    if (san.size() >= 2 && Integer.valueOf(SAN_DNS).equals(san.get(0))
                            && san.get(1) instanceof String dns && matches(dns, name)) {
                        return true;
                    }
                }
            }
        } catch (CertificateParsingException e) {
            return false; // libtls: an unreadable extension is an error, not a fall-back to the CN
        }
        String cn = commonName(cert);
        return cn != null && matches(cn, name);
    }

    /** The subject's (last) CN, or null. */
    public static String commonName(X509Certificate cert) {
        try {
            String cn = null;
            for (Rdn rdn : new LdapName(cert.getSubjectX500Principal().getName()).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN") && rdn.getValue() instanceof String v) {
                    cn = v;
                }
            }
            return cn;
        } catch (InvalidNameException e) {
            return null;
        }
    }

    /** libtls's tls_match_name. */
    static boolean matches(String certName, String name) {
        if (certName.equalsIgnoreCase(name)) {
            return true;
        }
        if (!certName.startsWith("*.") || certName.length() < 3 || certName.charAt(2) == '.') {
            return false;
        }
        String certDomain = certName.substring(1); // ".domain.tld"
        int nextDot = certDomain.indexOf('.', 1);
        if (nextDot < 0 || (nextDot + 1 < certDomain.length() && certDomain.charAt(nextDot + 1) == '.')) {
            return false; // "*.tld", "*.bar.."
        }
        if (name.startsWith(".")) {
            return false;
        }
        int dot = name.indexOf('.');
        if (dot < 0 || dot == name.length() - 1) {
            return false;
        }
        return certDomain.toLowerCase(Locale.ROOT).equals(name.substring(dot).toLowerCase(Locale.ROOT));
    }
}

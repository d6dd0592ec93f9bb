package dev.poolctl.pooler.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How LDAP over TLS checks the server, read where libldap (and so PgBouncer and PostgreSQL) reads it: the
 * environment variables {@code LDAPTLS_CACERT} and {@code LDAPTLS_REQCERT}, else the {@code TLS_CACERT} and
 * {@code TLS_REQCERT} lines of the file {@code LDAPCONF} names or of {@code /etc/ldap/ldap.conf}. Without a CA file
 * the JVM's trust store is used; {@code TLS_REQCERT never} or {@code allow} turn the certificate and host name checks
 * off, as libldap does. A host set up for PgBouncer's LDAP needs nothing more. Read on an LDAP worker thread (it
 * reads a file), at each login, so a changed file counts.
 *
 * @param caFile PEM certificates to trust, or null for the JVM's trust store
 * @param verify false for TLS_REQCERT never/allow: any certificate, any host name
 */
public record LdapTrust(Path caFile, boolean verify) {
    static final Path SYSTEM_CONF = Path.of("/etc/ldap/ldap.conf");
    /** Longest ldap.conf read: it is a few lines; more is not a configuration file. */
    static final long MAX_CONF_BYTES = 1L << 20;

    /** What libldap would use in this process's environment. */
    public static LdapTrust fromEnvironment() {
        return of(System.getenv(), SYSTEM_CONF);
    }

    static LdapTrust of(Map<String, String> env, Path systemConf) {
        String conf = env.get("LDAPCONF");
        List<String> lines = confLines(conf != null && !conf.isBlank() ? Path.of(conf.trim()) : systemConf);
        String ca = setting(env, lines, "TLS_CACERT");
        String reqcert = setting(env, lines, "TLS_REQCERT");
        boolean verify = reqcert == null || !(reqcert.equalsIgnoreCase("never") || reqcert.equalsIgnoreCase("allow"));
        return new LdapTrust(ca == null ? null : Path.of(ca), verify);
    }

    /** {@code LDAP<key>} from the environment, else ldap.conf's {@code key value} (keywords are case-insensitive). */
    private static String setting(Map<String, String> env, List<String> conf, String key) {
        String direct = env.get("LDAP" + key);
        if (direct != null && !direct.isBlank()) {
            return direct.trim();
        }
        for (String line : conf) {
            String[] words = line.trim().split("\\s+", 2);
            if (words.length == 2 && words[0].toUpperCase(Locale.ROOT).equals(key) && !words[1].isBlank()) {
                return words[1].trim();
            }
        }
        return null;
    }

    private static List<String> confLines(Path conf) {
        try {
            if (!Files.isRegularFile(conf) || Files.size(conf) > MAX_CONF_BYTES) {
                return List.of();
            }
            return Files.readAllLines(conf, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }
}

package dev.poolctl.pooler.config;

import java.util.Locale;

/** How clients authenticate to the pooler: PgBouncer's {@code auth_type}. */
public enum AuthType {
    /** No password; the user must exist in {@code auth_file}. */
    TRUST("trust"),
    /**
     * No password and the user name is ignored; databases need forced users. Any name may use the console, but
     * admin rights still go by {@code admin_users} (PgBouncer's admin_pre_login / admin_post_login).
     */
    ANY("any"),
    /** Clear-text password. */
    PLAIN("plain"),
    /** md5, or SCRAM when the stored secret is a SCRAM secret (PgBouncer upgrades automatically). */
    MD5("md5"),
    SCRAM_SHA_256("scram-sha-256"),
    /** Method chosen per connection by {@code auth_hba_file}. */
    HBA("hba"),
    /** TLS client certificate. */
    CERT("cert"),
    PAM("pam"),
    LDAP("ldap");

    private final String spelling;

    AuthType(String spelling) {
        this.spelling = spelling;
    }

    /** Parses PgBouncer's spelling ({@code md5}, {@code scram-sha-256}, ...), case-insensitively as PgBouncer does. */
    public static AuthType parse(String value) {
        String wanted = value.trim().toLowerCase(Locale.ROOT);
        for (AuthType type : values()) {
            if (type.spelling.equals(wanted)) {
                return type;
            }
        }
        throw new IllegalArgumentException("invalid value '" + value
                + "': expected trust, any, plain, md5, scram-sha-256, hba, cert, pam or ldap");
    }

    /** PgBouncer's spelling, as SHOW CONFIG prints it. */
    @Override
    public String toString() {
        return spelling;
    }
}

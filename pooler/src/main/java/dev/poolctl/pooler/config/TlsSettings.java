package dev.poolctl.pooler.config;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The TLS settings of one side (clients to the pooler, or the pooler to PostgreSQL) as an immutable value, checked
 * without touching a file or a socket: the daemon, {@code config check} and the console's {@code SET} all go through
 * {@link #client} / {@link #server}, so they refuse the same configs with the same words.
 *
 * @param mode        the sslmode, lower-cased ({@code disable} ... {@code verify-full})
 * @param keyFile     the private key (PEM), null when not set
 * @param certFile    the certificate for it (PEM), null when not set
 * @param caFile      the root certificates that validate the peer (PEM), null when not set
 * @param protocols   JDK protocol names ({@code TLSv1.2}, {@code TLSv1.3}), in order
 * @param ciphers     the *_tls_ciphers value as written ({@code default} and its synonyms mean the JDK's defaults)
 * @param ciphers13   the *_tls13_ciphers value as written, "" for the JDK's TLS 1.3 suites
 */
public record TlsSettings(String mode, String keyFile, String certFile, String caFile, List<String> protocols,
                          String ciphers, String ciphers13) {
    /** PgBouncer's shortcuts for "the library's default cipher list". */
    private static final Set<String> DEFAULT_CIPHERS = Set.of("default", "secure", "fast", "normal", "all");

    public TlsSettings {
        protocols = List.copyOf(protocols);
    }

    /** Whether the mode wants TLS at all (anything but disable). */
    public boolean enabled() {
        return !"disable".equals(mode);
    }

    /** Whether plain text is refused: require, verify-ca, verify-full. */
    public boolean required() {
        return mode.equals("require") || verifies();
    }

    /** Whether the peer's certificate is checked: verify-ca, verify-full. */
    public boolean verifies() {
        return mode.startsWith("verify-");
    }

    /** Whether the cipher setting means the JDK's default list. */
    public boolean defaultCiphers() {
        return DEFAULT_CIPHERS.contains(ciphers.toLowerCase(Locale.ROOT));
    }

    /**
     * The client side ({@code client_tls_*}): any mode but disable needs the key and certificate the pooler shows
     * to clients; verify-full needs the CA that signs the clients' certificates (verify-ca without one checks them
     * against the JDK's default trust store, as PgBouncer falls back to the system's CAs).
     *
     * @throws IllegalArgumentException naming the key, e.g.
     *     {@code client_tls_sslmode: 'require' needs client_tls_key_file}
     */
    public static TlsSettings client(GeneralSettings g) {
        TlsSettings s = read(g, Setting.CLIENT_TLS_SSLMODE, Setting.CLIENT_TLS_KEY_FILE, Setting.CLIENT_TLS_CERT_FILE,
                Setting.CLIENT_TLS_CA_FILE, Setting.CLIENT_TLS_PROTOCOLS, Setting.CLIENT_TLS_CIPHERS,
                Setting.CLIENT_TLS13_CIPHERS);
        if (s.enabled()) {
            need(s, s.keyFile, Setting.CLIENT_TLS_SSLMODE, Setting.CLIENT_TLS_KEY_FILE);
            need(s, s.certFile, Setting.CLIENT_TLS_SSLMODE, Setting.CLIENT_TLS_CERT_FILE);
        }
        if (s.mode.equals("verify-full")) {
            need(s, s.caFile, Setting.CLIENT_TLS_SSLMODE, Setting.CLIENT_TLS_CA_FILE); // PgBouncer's rule too
        }
        return s;
    }

    /**
     * The server side ({@code server_tls_*}): a client certificate for PostgreSQL needs both its key and its
     * certificate. verify-ca and verify-full without {@code server_tls_ca_file} check PostgreSQL's certificate
     * against the JDK's default trust store (PgBouncer: the system's CAs), e.g. for a managed service whose
     * certificate chains to a public CA.
     *
     * @throws IllegalArgumentException naming the key
     */
    public static TlsSettings server(GeneralSettings g) {
        TlsSettings s = read(g, Setting.SERVER_TLS_SSLMODE, Setting.SERVER_TLS_KEY_FILE, Setting.SERVER_TLS_CERT_FILE,
                Setting.SERVER_TLS_CA_FILE, Setting.SERVER_TLS_PROTOCOLS, Setting.SERVER_TLS_CIPHERS,
                Setting.SERVER_TLS13_CIPHERS);
        if ((s.keyFile == null) != (s.certFile == null)) {
            throw new IllegalArgumentException(s.keyFile == null
                    ? "server_tls_cert_file is set without server_tls_key_file"
                    : "server_tls_key_file is set without server_tls_cert_file");
        }
        return s;
    }

    private static void need(TlsSettings s, String value, Setting mode, Setting file) {
        if (value == null) {
            throw new IllegalArgumentException(mode.key() + ": '" + s.mode + "' needs " + file.key());
        }
    }

    private static TlsSettings read(GeneralSettings g, Setting mode, Setting key, Setting cert, Setting ca,
                                    Setting protocols, Setting ciphers, Setting ciphers13) {
        return new TlsSettings(g.stringValue(mode), file(g, key), file(g, cert), file(g, ca),
                protocols(protocols.key(), g.stringValue(protocols)), g.stringValue(ciphers).trim(),
                g.stringValue(ciphers13).trim());
    }

    private static String file(GeneralSettings g, Setting setting) {
        String v = g.stringValue(setting).trim();
        return v.isEmpty() ? null : v;
    }

    /**
     * PgBouncer's (libtls') protocol list: names separated by commas, colons or blanks; {@code secure} and
     * {@code default} are TLS 1.2 and 1.3, {@code all} and {@code legacy} every version; {@code !name} removes one.
     */
    static List<String> protocols(String key, String value) {
        Set<String> chosen = new LinkedHashSet<>();
        String text = value.trim().toLowerCase(Locale.ROOT);
        if (text.isEmpty()) {
            text = "secure";
        }
        for (String token : text.split("[,:\\s]+")) {
            boolean remove = token.startsWith("!");
            String name = remove ? token.substring(1) : token;
            List<String> versions = switch (name) {
                case "secure", "default" -> List.of("TLSv1.2", "TLSv1.3");
                case "all", "legacy" -> List.of("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3");
                case "tlsv1", "tlsv1.0" -> List.of("TLSv1");
                case "tlsv1.1" -> List.of("TLSv1.1");
                case "tlsv1.2" -> List.of("TLSv1.2");
                case "tlsv1.3" -> List.of("TLSv1.3");
                default -> throw new IllegalArgumentException(key + ": unknown TLS protocol '" + token
                        + "' (use tlsv1.0, tlsv1.1, tlsv1.2, tlsv1.3, secure or all)");
            };
            if (remove) {
                chosen.removeAll(versions);
            } else {
                chosen.addAll(versions);
            }
        }
        if (chosen.isEmpty()) {
            throw new IllegalArgumentException(key + ": '" + value + "' leaves no TLS protocol");
        }
        return new ArrayList<>(chosen);
    }
}

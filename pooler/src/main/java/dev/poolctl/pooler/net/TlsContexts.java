package dev.poolctl.pooler.net;

import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.TlsSettings;
import io.netty.channel.Channel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.CipherSuiteConverter;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslProvider;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javax.net.ssl.SSLSession;

/**
 * The TLS contexts of both sides, built from the settings once (at start and at each RELOAD, on the reload thread:
 * reading PEM files and building a context is slow and blocking, so never on an event loop and never per
 * connection). Immutable: a reload builds a new one and swaps it in, and connections in a handshake keep theirs. A
 * server side that cannot fail to build (no files, no cipher lists: the default prefer) is {@link DeferredContext
 * deferred} to the first server that offers TLS, so a pooler whose servers never do does not load the library.
 *
 * @param client the side clients connect to (the pooler acts as a TLS server); context null when disabled
 * @param server the side towards PostgreSQL (the pooler acts as a TLS client); context null when disabled
 */
public record TlsContexts(Side client, Side server) {
    /**
     * One side: its settings and the context made from them, null when the mode is disable or when building it is
     * {@code deferred} to the first handshake (see {@link DeferredContext}).
     */
    public record Side(TlsSettings settings, SslContext context, DeferredContext deferred) {
        public Side(TlsSettings settings, SslContext context) {
            this(settings, context, null);
        }

        public boolean enabled() {
            return context != null || deferred != null;
        }

        /** Whether the TLS library is loaded for this side: built at start, or built since on first use. */
        public boolean loaded() {
            return context != null || deferred != null && deferred.isBuilt();
        }

        /** The context, built now (off the loop) if it was deferred; {@code announce} logs that first build. */
        CompletableFuture<SslContext> whenReady(Consumer<String> announce) {
            return context != null ? CompletableFuture.completedFuture(context) : deferred.get(announce);
        }
    }

    /**
     * BoringSSL through netty-tcnative when its native library loads here, else the JDK's JSSE. Decided on first
     * use: loading BoringSSL costs about 9 MB of RSS, which a pooler with TLS off on both sides never pays.
     */
    private static final class Library {
        static final SslProvider PROVIDER = "jdk".equals(System.getProperty("poolctl.tls.provider"))
                || !io.netty.handler.ssl.OpenSsl.isAvailable() ? SslProvider.JDK : SslProvider.OPENSSL;
    }

    /**
     * The provider for one side: BoringSSL, but the JDK's when a TLS 1.3 cipher list is set, which BoringSSL does
     * not let anyone choose (it always offers its three TLS 1.3 suites).
     */
    static SslProvider provider(TlsSettings s) {
        return s.ciphers13().isEmpty() ? Library.PROVIDER : SslProvider.JDK;
    }

    /** Both sides disabled: before the first config is read, and in tests that need no TLS. */
    public static final TlsContexts NONE = new TlsContexts(
            new Side(new TlsSettings("disable", null, null, null, List.of("TLSv1.2", "TLSv1.3"), "default", ""), null),
            new Side(new TlsSettings("disable", null, null, null, List.of("TLSv1.2", "TLSv1.3"), "default", ""), null));

    /**
     * Builds both contexts. Relative file names are taken from {@code baseDir} (the config file's directory), as
     * PgBouncer does for its CF_ABS paths.
     *
     * @throws IllegalArgumentException naming the setting whose value or file is wrong
     */
    public static TlsContexts build(GeneralSettings general, Path baseDir) {
        TlsSettings client = TlsSettings.client(general);
        TlsSettings server = TlsSettings.server(general);
        Side serverSide = !server.enabled() ? new Side(server, null)
                : deferrable(server) ? new Side(server, null, new DeferredContext(() -> serverSide(server, baseDir)))
                : new Side(server, serverSide(server, baseDir));
        return new TlsContexts(new Side(client, client.enabled() ? clientSide(client, baseDir) : null), serverSide);
    }

    /**
     * Whether the server-side context can wait for the first server that offers TLS: only when building it cannot
     * fail on the config (no file to read, no cipher name to check), so a wrong setting is still refused at start.
     */
    static boolean deferrable(TlsSettings s) {
        return s.caFile() == null && s.keyFile() == null && s.certFile() == null && s.defaultCiphers()
                && s.ciphers13().isEmpty();
    }

    /** The pooler as a TLS server for its clients. */
    private static SslContext clientSide(TlsSettings s, Path baseDir) {
        File key = readable("client_tls_key_file", s.keyFile(), baseDir);
        File cert = readable("client_tls_cert_file", s.certFile(), baseDir);
        File ca = s.caFile() == null ? null : readable("client_tls_ca_file", s.caFile(), baseDir);
        try {
            SslContextBuilder b = SslContextBuilder.forServer(keyOf("client_tls_key_file", key, "client_tls_cert_file",
                    cert), PemFiles.certificates(cert.toPath())).sslProvider(provider(s)).protocols(s.protocols());
            if (ca != null) {
                b.trustManager(ca);
            } else if (s.verifies()) {
                b.trustManager(defaultTrust()); // verify-ca without a CA file: the JDK's cacerts
            }
            // ALPN "postgresql": required of direct-TLS clients (checked after the handshake), optional otherwise.
            b.applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
                    ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                    ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, "postgresql"));
            // PgBouncer (libtls verify_client_optional): allow/prefer/require ask for a certificate and check one
            // that comes against the CA (an hba cert rule can then use it); verify-* demand one. Without a CA file
            // there is nothing to check a certificate against, so none is asked for.
            b.clientAuth(s.verifies() ? ClientAuth.REQUIRE : ca != null ? ClientAuth.OPTIONAL : ClientAuth.NONE);
            ciphers(b, s, "client", provider(s));
            return b.build();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (e instanceof KeyMismatch) {
                throw (KeyMismatch) e;
            }
            throw new IllegalArgumentException("client TLS: cannot use client_tls_key_file " + key
                    + " with client_tls_cert_file " + cert + (ca == null ? "" : " and client_tls_ca_file " + ca)
                    + ": " + message(e), e);
        }
    }

    /** The pooler as a TLS client of PostgreSQL, with libpq's sslmode meaning. */
    private static SslContext serverSide(TlsSettings s, Path baseDir) {
        File ca = s.caFile() == null ? null : readable("server_tls_ca_file", s.caFile(), baseDir);
        File key = s.keyFile() == null ? null : readable("server_tls_key_file", s.keyFile(), baseDir);
        File cert = s.certFile() == null ? null : readable("server_tls_cert_file", s.certFile(), baseDir);
        try {
            SslContextBuilder b = SslContextBuilder.forClient().sslProvider(provider(s)).protocols(s.protocols());
            if (s.verifies()) {
                b.trustManager(ca == null ? defaultTrust() : trustOf(ca)); // no CA file: the JDK's cacerts
            } else {
                // prefer/require: encrypted, but the certificate is not checked (libpq's meaning of these modes).
                b.trustManager(InsecureTrustManagerFactory.INSTANCE);
            }
            // Netty 4.2 checks the host name by default; libpq does that only for verify-full.
            b.endpointIdentificationAlgorithm(s.mode().equals("verify-full") ? "HTTPS" : null);
            if (key != null) {
                b.keyManager(keyOf("server_tls_key_file", key, "server_tls_cert_file", cert),
                        PemFiles.certificates(cert.toPath()));
            }
            ciphers(b, s, "server", provider(s));
            return b.build();
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            if (e instanceof KeyMismatch) {
                throw (KeyMismatch) e;
            }
            throw new IllegalArgumentException("server TLS: cannot build a context from "
                    + String.join(", ", files(ca, key, cert)) + ": " + message(e), e);
        }
    }

    /** The JDK's default trust store (cacerts): PgBouncer's fallback to the system CAs. */
    private static javax.net.ssl.TrustManagerFactory defaultTrust() throws GeneralSecurityException {
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((java.security.KeyStore) null);
        return tmf;
    }

    private static javax.net.ssl.TrustManagerFactory trustOf(File ca) throws IOException, GeneralSecurityException {
        java.security.KeyStore store = java.security.KeyStore.getInstance(java.security.KeyStore.getDefaultType());
        store.load(null, null);
        int i = 0;
        for (java.security.cert.X509Certificate c : PemFiles.certificates(ca.toPath())) {
            store.setCertificateEntry("ca" + i++, c);
        }
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        return tmf;
    }

    /** A key that does not belong to its certificate: reported as such, not as a generic build failure. */
    private static final class KeyMismatch extends IllegalArgumentException {
        KeyMismatch(String message) {
            super(message);
        }
    }

    /** The private key, checked against the first certificate of {@code cert}. */
    private static PrivateKey keyOf(String keySetting, File key, String certSetting, File cert)
            throws IOException, GeneralSecurityException {
        PrivateKey k = PemFiles.privateKey(key.toPath());
        if (!PemFiles.matches(k, PemFiles.certificates(cert.toPath())[0])) {
            throw new KeyMismatch(keySetting + " " + key + " does not belong to the certificate in " + certSetting
                    + " " + cert);
        }
        return k;
    }

    private static List<String> files(File... files) {
        List<String> names = new ArrayList<>();
        for (File f : files) {
            if (f != null) {
                names.add(f.getPath());
            }
        }
        return names.isEmpty() ? List.of("the settings") : names;
    }

    /** The JDK's TLS 1.3 suites, in its order of preference: what an empty *_tls13_ciphers means. */
    private static final List<String> TLS13_DEFAULT =
            List.of("TLS_AES_256_GCM_SHA384", "TLS_AES_128_GCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256");

    /**
     * {@code *_tls_ciphers} (TLS 1.2 and older, as in PgBouncer) and {@code *_tls13_ciphers} (TLS 1.3). OpenSSL-style
     * names ({@code ECDHE-RSA-AES256-GCM-SHA384}) and JDK names are both accepted, separated by colons; OpenSSL's
     * expressions ({@code HIGH:!aNULL}) have no JDK equivalent and are refused rather than guessed at.
     */
    private static void ciphers(SslContextBuilder b, TlsSettings s, String side, SslProvider provider) {
        if (s.defaultCiphers() && s.ciphers13().isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(s.ciphers13().isEmpty() ? TLS13_DEFAULT
                : names(s.ciphers13(), side + "_tls13_ciphers", provider));
        if (s.defaultCiphers()) {
            for (String jdk : jdkDefaultSuites()) {
                if (!TLS13_DEFAULT.contains(jdk)) {
                    names.add(jdk);
                }
            }
        } else {
            names.addAll(names(s.ciphers(), side + "_tls_ciphers", provider));
        }
        // The JDK's default list names suites BoringSSL leaves out (DHE): those are dropped, not an error.
        b.ciphers(names, provider == SslProvider.OPENSSL ? io.netty.handler.ssl.SupportedCipherSuiteFilter.INSTANCE
                : io.netty.handler.ssl.IdentityCipherSuiteFilter.INSTANCE);
    }

    private static List<String> names(String value, String key, SslProvider provider) {
        List<String> supported = supportedSuites(provider);
        List<String> names = new ArrayList<>();
        // OpenSSL's words for a bad TLS 1.3 list, which PgBouncer logs (its test_ssl looks for them).
        String what = key.contains("tls13") ? key + ": failed to set the TLSv1.3 cipher suites" : key;
        for (String token : value.split("[:,\\s]+")) {
            if (token.isEmpty()) {
                continue;
            }
            String java = token.startsWith("TLS_") || token.startsWith("SSL_") ? token
                    : CipherSuiteConverter.toJava(token, "TLS");
            if (java == null) {
                throw new IllegalArgumentException(what + ": '" + token + "' is not a cipher suite name this version"
                        + " understands (OpenSSL expressions such as HIGH or !aNULL are not supported; use default"
                        + " or list suites)");
            }
            if (!supported.contains(java)) {
                // Netty would drop it silently: a list of typos would leave the JDK's defaults, or nothing.
                throw new IllegalArgumentException(what + ": '" + token + "' is not a cipher suite "
                        + (provider == SslProvider.OPENSSL ? "BoringSSL" : "this JDK") + " supports");
            }
            names.add(java);
        }
        return names;
    }

    private static List<String> supportedSuites(SslProvider provider) {
        if (provider == SslProvider.OPENSSL) {
            return List.copyOf(io.netty.handler.ssl.OpenSsl.availableJavaCipherSuites());
        }
        try {
            return List.of(javax.net.ssl.SSLContext.getDefault().getSupportedSSLParameters().getCipherSuites());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context in this JDK", e);
        }
    }

    private static List<String> jdkDefaultSuites() {
        try {
            return List.of(javax.net.ssl.SSLContext.getDefault().getDefaultSSLParameters().getCipherSuites());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("no default TLS context in this JDK", e);
        }
    }

    private static File readable(String key, String name, Path baseDir) {
        Path p = Path.of(name);
        if (!p.isAbsolute() && baseDir != null) {
            p = baseDir.resolve(p);
        }
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new IllegalArgumentException(key + ": cannot read " + p);
        }
        return p.toFile();
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        Throwable c = e.getCause();
        boolean addCause = c != null && c.getMessage() != null && (m == null || !m.contains(c.getMessage()));
        return addCause ? m + ": " + c.getMessage() : String.valueOf(m);
    }

    /**
     * Certificates in use that have expired or expire within 30 days, one line each naming the setting and file: a
     * certificate that runs out stops every TLS login at once, so operators hear of it early (logged at start and
     * reload, and by {@code config check}). Files that cannot be read are left to {@link #build}.
     */
    public static List<String> expiryWarnings(GeneralSettings general, Path baseDir, java.time.Instant now) {
        List<String> warnings = new ArrayList<>();
        TlsSettings client = TlsSettings.client(general);
        TlsSettings server = TlsSettings.server(general);
        java.util.Map<String, String> files = new java.util.LinkedHashMap<>();
        if (client.enabled()) {
            files.put("client_tls_cert_file", client.certFile());
            files.put("client_tls_ca_file", client.caFile());
        }
        if (server.enabled()) {
            files.put("server_tls_cert_file", server.certFile());
            files.put("server_tls_ca_file", server.caFile());
        }
        java.time.Instant soon = now.plus(java.time.Duration.ofDays(30));
        files.forEach((key, name) -> {
            if (name == null) {
                return;
            }
            Path p = Path.of(name);
            p = p.isAbsolute() || baseDir == null ? p : baseDir.resolve(p);
            try {
                for (java.security.cert.X509Certificate c : PemFiles.certificates(p)) {
                    java.time.Instant end = c.getNotAfter().toInstant();
                    if (end.isBefore(soon)) {
                        warnings.add(key + " " + p + ": certificate '" + c.getSubjectX500Principal().getName() + "' "
                                + (end.isBefore(now) ? "expired on " : "expires on ") + end);
                    }
                }
            } catch (IOException | GeneralSecurityException | RuntimeException unreadable) {
                // reported by build()
            }
        });
        return warnings;
    }

    /** Whether a channel is a unix socket: TLS is never used there, as in PgBouncer. */
    public static boolean isUnix(Channel ch) {
        return ch.localAddress() instanceof DomainSocketAddress || ch.remoteAddress() instanceof DomainSocketAddress;
    }

    /**
     * The {@code tls} column of SHOW CLIENTS/SERVERS and the {@code tls=} of the login log line, as PgBouncer writes
     * them: {@code protocol/cipher} ({@code TLSv1.3/TLS_AES_256_GCM_SHA384}); TLS 1.2 suites in OpenSSL's spelling.
     * Empty for a plain connection or a handshake not yet done. PgBouncer adds {@code /ECDH=curve}, which the JDK
     * does not expose.
     */
    public static String describe(Channel ch) {
        SslHandler ssl = ch == null ? null : ch.pipeline().get(SslHandler.class);
        if (ssl == null || !ssl.handshakeFuture().isSuccess()) {
            return "";
        }
        SSLSession session = ssl.engine().getSession();
        String protocol = session.getProtocol();
        String cipher = session.getCipherSuite();
        if (!"TLSv1.3".equals(protocol)) {
            String openssl = CipherSuiteConverter.toOpenSsl(cipher, false);
            cipher = openssl != null ? openssl : cipher;
        }
        return protocol + "/" + cipher;
    }

    /** What {@code --version} prints after {@code tls: }, as {@code pgbouncer -V} names its TLS library. */
    public static String libraryVersion() {
        if (Library.PROVIDER == SslProvider.OPENSSL) {
            return io.netty.handler.ssl.OpenSsl.versionString() + " (netty-tcnative; JSSE for TLS 1.3 cipher lists)";
        }
        // The provider's name only: SSLContext.getDefault() would build the default context, loading every
        // certificate of the JDK's trust store (about 6 MB of RSS at start) for one line of the log.
        java.security.Provider p = java.security.Security.getProvider("SunJSSE");
        return (p == null ? "JSSE" : p.getName()) + " (Java " + Runtime.version() + ", Netty SslHandler)";
    }
}

package dev.poolctl.pooler;

import dev.poolctl.pooler.config.ConfigException;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.log.PoolerLog;
import dev.poolctl.pooler.net.TlsContexts;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The daemon's side of TLS: builds the contexts from the config's files and puts them in force, at start, RELOAD,
 * SIGHUP and the console's SET, always on the reload thread (PEM parsing and key checks are slow and block).
 */
final class DaemonTls {
    private final Path configFile;
    private final PoolerLog log;
    /** RECONNECT on every loop. */
    private final Runnable reconnectAll;
    /** The contexts in force: replaced whole, read by every new connection on any loop. */
    private volatile TlsContexts current;

    DaemonTls(Path configFile, TlsContexts initial, PoolerLog log, Runnable reconnectAll) {
        this.configFile = configFile;
        this.current = initial;
        this.log = log;
        this.reconnectAll = reconnectAll;
    }

    TlsContexts current() {
        return current;
    }

    /**
     * The TLS contexts of both sides from the config's files. An unreadable or unusable file is a config error
     * naming the setting; {@code poolctl config check} reports it too.
     */
    static TlsContexts build(Path configFile, PoolerConfig config) throws ConfigException {
        try {
            return TlsContexts.build(config.general(), configFile.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(configFile + ": [pgbouncer] " + e.getMessage());
        }
    }

    /**
     * What the startup line says after {@code tls: }: the library when a context is built, and when only the
     * server side's waits for its first use, that it does (loading the library would cost the RSS it saves).
     */
    static String startupWords(TlsContexts tls) {
        if (tls.client().loaded() || tls.server().loaded()) {
            return TlsContexts.libraryVersion();
        }
        return tls.server().enabled() ? "loaded when a server first offers TLS (server_tls_sslmode="
                + tls.server().settings().mode() + ")" : "off";
    }

    /** Certificates that expired or expire within 30 days, as warnings in the log. */
    static void logExpiry(PoolerLog log, Path configFile, PoolerConfig config) {
        TlsContexts.expiryWarnings(config.general(), configFile.toAbsolutePath().getParent(), Instant.now())
                .forEach(log::warning);
    }

    /**
     * Builds and installs the contexts of {@code config}. As in PgBouncer, a changed server-side TLS setting
     * reconnects: servers opened under the old one are closed once released, so prefer -> require does not leave
     * plain-text servers in use; new files under the same settings keep the existing connections.
     *
     * @throws ConfigException when a file cannot be used; the running contexts stay
     */
    void install(PoolerConfig config) throws ConfigException {
        TlsContexts next = build(configFile, config);
        TlsContexts old = current;
        if (next.server().deferred() != null && next.server().settings().equals(old.server().settings())) {
            // No files behind it (else it would not be deferred): the context built on first use stays valid.
            next = new TlsContexts(next.client(), old.server());
        }
        current = next;
        logExpiry(log, configFile, config);
        if (!old.server().settings().equals(next.server().settings())) {
            log.log("server TLS settings changed, reconnecting servers");
            reconnectAll.run();
        }
    }

    /**
     * The console's SET of a TLS key: true when the new contexts are in force. Otherwise the set is not usable yet
     * (PgBouncer's tests set a new key, then its certificate, then the CA, one SET each): logged with the reason
     * in PgBouncer's words, and the running contexts stay until a later SET completes the set.
     */
    boolean set(PoolerConfig config) {
        try {
            install(config);
            return true;
        } catch (ConfigException e) {
            log.error("TLS settings could not be applied, still using old configuration: " + e.getMessage());
            return false;
        }
    }

    /** RELOAD / SIGHUP: as {@link #install}, but a broken new file is logged and the old contexts kept. */
    void reload(PoolerConfig config) {
        try {
            install(config); // re-read every time: certbot or cert-manager replace the files under the same names
        } catch (ConfigException e) {
            // A half-written or broken new certificate must not stop TLS: new handshakes keep the old files.
            log.error("TLS settings not applied, keeping the previous certificates and keys: " + e.getMessage());
        }
    }
}

package dev.poolctl.pooler.pool;

import java.net.SocketAddress;

/** What pools and SHOW CLIENTS/SERVERS/SOCKETS need of any connection, client or server. */
public interface PoolConnection {
    long id();

    /** The log prefix: {@code C-<id>: db/user@addr:port} or {@code S-<id>: ...}. */
    String prefix();

    long connectNanos();

    /** SUSPEND: flush and stop reading the socket ({@code true}), or read again ({@code false}). */
    void suspend(boolean suspended);

    // ---- what SHOW shows ----

    String applicationName();

    SocketAddress localAddress();

    SocketAddress remoteAddress();

    int preparedStatementCount();

    /** SHOW CLIENTS/SERVERS {@code tls}: {@code TLSv1.3/TLS_AES_256_GCM_SHA384}, empty when not encrypted. */
    default String tlsInfo() {
        return "";
    }

    /** Bytes written to its socket but not yet sent (SHOW SOCKETS send_avail, SHOW ... pending). */
    long pendingWriteBytes();
}

package dev.poolctl.pooler.config;

import java.util.Objects;

/**
 * One entry of {@code [peers]} (PgBouncer 1.19+), e.g. {@code 2 = host=10.0.0.2 port=6432}: another pooler behind
 * the same address. A CancelRequest that lands here for a client of that peer (its {@code peer_id} is in the cancel
 * key) is forwarded to it.
 *
 * @param id the peer's {@code peer_id}, 1 to 65535
 * @param host a host name, an IP address, or a unix socket directory (starting with {@code /})
 * @param port its listen_port; 6432 when not given
 * @param poolSize PgBouncer's cap on connections to the peer; -1 when not given (shown by SHOW PEERS only: a
 *     forwarded cancel is one short connection)
 */
public record PeerConfig(int id, String host, int port, int poolSize) {
    public PeerConfig {
        Objects.requireNonNull(host, "host");
    }

    /**
     * Parses the entry {@code name = value} with PgBouncer's rules (parse_peer in loader.c).
     *
     * @throws IllegalArgumentException naming what is wrong, but not the file or section
     */
    static PeerConfig parse(String name, String value) {
        int id;
        try {
            id = Values.parseDecimalInt(name);
        } catch (IllegalArgumentException e) {
            id = 0;
        }
        if (id < 1 || id > 0xFFFF) {
            throw new IllegalArgumentException("ids of peers must be a number larger than 0 and at most 65535");
        }
        String host = null;
        int port = 6432;
        int poolSize = -1;
        for (ConnectString.Pair pair : ConnectString.parse(value)) {
            switch (pair.key()) {
                case "host" -> host = pair.value();
                case "port" -> port = number(pair);
                case "pool_size" -> poolSize = number(pair);
                default -> throw new IllegalArgumentException("unrecognized connection parameter: " + pair.key());
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("invalid port: " + pair.value());
            }
        }
        if (host == null || host.isEmpty()) {
            throw new IllegalArgumentException("host was not provided for peer " + id);
        }
        return new PeerConfig(id, host, port, poolSize);
    }

    private static int number(ConnectString.Pair pair) {
        try {
            return Values.parseDecimalInt(pair.value());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(pair.key() + ": " + e.getMessage(), e);
        }
    }

    /** Where to connect, as the server connector writes addresses: {@code host:port}, {@code [v6]:port}, {@code unix:...}. */
    public String address() {
        if (host.startsWith("/")) {
            return "unix:" + host + "/.s.PGSQL." + port;
        }
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}

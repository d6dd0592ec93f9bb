package dev.poolctl.pooler.prepare;

import java.util.Arrays;

/**
 * One distinct prepared statement (query text plus parameter types) under its pooler-wide name
 * {@code PGBOUNCER_<n>}: every client that Parses the same text, under whatever name, shares it, and a server
 * prepares it at most once. Counted references (client names, server caches, queued Closes) keep it in the
 * {@link StatementRegistry}; the name is never reused for another text.
 */
public final class SharedStatement {
    private final String name;
    /** The name as sent in every rewritten Bind. */
    private final byte[] nameBytes;
    private final byte[] queryAndTypes;
    private final int hash;
    int refs;

    SharedStatement(String name, byte[] queryAndTypes, int hash) {
        this.name = name;
        this.nameBytes = name.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        this.queryAndTypes = queryAndTypes;
        this.hash = hash;
    }

    /** The name it has on every server. */
    public String name() {
        return name;
    }

    /** {@link #name} in ASCII; not to be modified. */
    byte[] nameBytes() {
        return nameBytes;
    }

    /** The Parse body after the statement name: query, NUL, int16 count, the parameter type OIDs. */
    public byte[] queryAndTypes() {
        return queryAndTypes;
    }

    int hash() {
        return hash;
    }

    boolean sameQuery(byte[] other, int otherHash) {
        return hash == otherHash && Arrays.equals(queryAndTypes, other);
    }

    @Override
    public String toString() {
        return name;
    }
}

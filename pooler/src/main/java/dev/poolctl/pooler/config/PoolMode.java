package dev.poolctl.pooler.config;

import java.util.Locale;

/** When a server connection goes back to the pool: PgBouncer's {@code pool_mode}. */
public enum PoolMode {
    /** Released when the client disconnects. */
    SESSION,
    /** Released at ReadyForQuery with transaction status idle ('I'). */
    TRANSACTION,
    /** Released after every query; multi-statement transactions are refused. */
    STATEMENT;

    /** Parses PgBouncer's spelling ({@code session}, {@code transaction}, {@code statement}), case-insensitively. */
    public static PoolMode parse(String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "session" -> SESSION;
            case "transaction" -> TRANSACTION;
            case "statement" -> STATEMENT;
            default -> throw new IllegalArgumentException(
                    "invalid pool_mode '" + value + "': expected session, transaction or statement");
        };
    }

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }
}

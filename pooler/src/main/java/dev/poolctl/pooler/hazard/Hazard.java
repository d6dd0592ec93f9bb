package dev.poolctl.pooler.hazard;

/**
 * Things a client can do that silently misbehave in transaction and statement pooling mode, because the next
 * transaction may run on another server (PgBouncer's features.md table). Counted per pool (SHOW HAZARDS) and
 * logged once per client and kind.
 */
public enum Hazard {
    /** SQL-level PREPARE: the statement exists on one server only (protocol-level Parse is handled). */
    PREPARE("prepare", "PREPARE"),
    /** Session-level SET, outside a transaction block, of a parameter the pooler does not carry over. */
    SESSION_SET("session_set", "SET"),
    LISTEN("listen", "LISTEN"),
    /** pg_advisory_lock, pg_advisory_lock_shared, pg_try_advisory_lock(_shared): held by one server session. */
    ADVISORY_LOCK("advisory_lock", "pg_advisory_lock"),
    /** CREATE TEMP / TEMPORARY: the object lives in one server session. */
    TEMP_TABLE("temp_table", "CREATE TEMP"),
    /** DECLARE ... WITH HOLD: the cursor outlives the transaction on one server. */
    WITH_HOLD("with_hold", "DECLARE ... WITH HOLD");

    private final String column;
    private final String statement;

    Hazard(String column, String statement) {
        this.column = column;
        this.statement = statement;
    }

    /** The SHOW HAZARDS column. */
    public String column() {
        return column;
    }

    /** How the log line names the statement. */
    public String statement() {
        return statement;
    }

    /** This hazard's bit in a {@link StatementScanner} result. */
    public int bit() {
        return 1 << ordinal();
    }
}

package dev.poolctl.pooler.hazard;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatementScannerTest {
    /** search_path is tracked but not reported (PostgreSQL before 18); DateStyle is reported. */
    private static final StatementScanner.Parameters PARAMS = new StatementScanner.Parameters() {
        @Override
        public boolean isTracked(String name) {
            return Set.of("search_path", "datestyle", "timezone", "client_encoding", "intervalstyle").contains(name);
        }

        @Override
        public boolean needsReadback(String name) {
            return name.equals("search_path");
        }
    };

    private static final int PREPARE = Hazard.PREPARE.bit();
    private static final int SESSION_SET = Hazard.SESSION_SET.bit();
    private static final int LISTEN = Hazard.LISTEN.bit();
    private static final int ADVISORY = Hazard.ADVISORY_LOCK.bit();
    private static final int TEMP = Hazard.TEMP_TABLE.bit();
    private static final int HOLD = Hazard.WITH_HOLD.bit();
    private static final int SETTINGS = StatementScanner.SETTINGS_CHANGED;

    private static int scan(String sql, boolean inTransaction) {
        // Surrounding bytes: the scan must stay within [from, to).
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        ByteBuf buf = Unpooled.buffer();
        buf.writeBytes("PREPARE x; LISTEN y;".getBytes(StandardCharsets.US_ASCII));
        int from = buf.writerIndex();
        buf.writeBytes(text);
        int to = buf.writerIndex();
        buf.writeBytes(" ; LISTEN z".getBytes(StandardCharsets.US_ASCII));
        try {
            return StatementScanner.scan(buf, from, to, inTransaction, PARAMS);
        } finally {
            buf.release();
        }
    }

    private static int scan(String sql) {
        return scan(sql, false);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "PREPARE p AS SELECT 1|PREPARE",
            "  prepare p(int) as select $1|PREPARE",
            "PREPARE TRANSACTION 'gid'|0",
            "LISTEN chan|LISTEN",
            "listen \"Chan\"|LISTEN",
            "SELECT pg_advisory_lock(1)|ADVISORY",
            "select PG_ADVISORY_LOCK_SHARED (1, 2)|ADVISORY",
            "SELECT pg_try_advisory_lock(1)|ADVISORY",
            "SELECT pg_catalog.pg_advisory_lock(7)|ADVISORY",
            "SELECT pg_advisory_xact_lock(1)|0",
            "SELECT pg_advisory_xact_lock_shared(1)|0",
            "SELECT pg_advisory_unlock(1)|0",
            "SELECT 'pg_advisory_lock(1)'|0",
            "SELECT $$ pg_advisory_lock(1) $$|0",
            "SELECT $f$ pg_advisory_lock(1) $f$|0",
            "SELECT 1 -- pg_advisory_lock(1)|0",
            "CREATE TEMP TABLE t (a int)|TEMP",
            "create temporary table t (a int)|TEMP",
            "CREATE GLOBAL TEMPORARY TABLE t (a int)|TEMP",
            "CREATE OR REPLACE TEMP VIEW v AS SELECT 1|TEMP",
            "CREATE TABLE temp (a int)|0",
            "DECLARE c CURSOR WITH HOLD FOR SELECT 1|HOLD",
            "declare \"my cursor\" no scroll cursor with hold for select 1|HOLD",
            "DECLARE c CURSOR WITHOUT HOLD FOR SELECT 1|0",
            "DECLARE c CURSOR FOR SELECT 'with hold'|0",
            "SET statement_timeout = 0|SESSION_SET",
            "set session work_mem to '1MB'|SESSION_SET",
            "SET ROLE app|SESSION_SET",
            "SET SESSION AUTHORIZATION app|SESSION_SET",
            "SET LOCAL statement_timeout = 0|0",
            "SET TRANSACTION ISOLATION LEVEL SERIALIZABLE|0",
            "SET CONSTRAINTS ALL DEFERRED|0",
            "SET DateStyle = ISO|0",
            "SET TIME ZONE 'UTC'|0",
            "SET NAMES 'UTF8'|0",
            "SET search_path = a, b|SETTINGS",
            "SET SESSION \"search_path\" TO a|SETTINGS",
            "SET SCHEMA 'a'|SETTINGS",
            "SET LOCAL search_path = a|0",
            "RESET search_path|SETTINGS",
            "RESET ALL|SETTINGS",
            "RESET statement_timeout|0",
            "DISCARD ALL|SETTINGS+DROPS",
            "DISCARD PLANS|DROPS",
            "deallocate all|DROPS",
            "DEALLOCATE p|DROPS",
            "SELECT 1; DEALLOCATE ALL|DROPS",
            "SELECT 'DEALLOCATE ALL'|0",
            "DO $$ BEGIN EXECUTE 'DEALLOCATE ALL'; END $$|0",
            "SELECT set_config('search_path', 'a', false)|SETTINGS",
            "SELECT pg_catalog.set_config ('search_path', 'a', false)|SETTINGS",
            "SELECT my_set_config(1)|0",
            "SELECT 'SET x = 1; LISTEN y'|0",
            "SELECT 1; LISTEN a; select 2|LISTEN",
            "SELECT 1; CREATE TEMP TABLE t(a int)|TEMP",
            "SELECT E'it\\'s; LISTEN x'|0",
            "UPDATE t SET a = 1|0",
            "SELECT 1 - 1; PREPARE p AS SELECT 1|PREPARE",
            "SELECT 2 / 1; LISTEN c|LISTEN",
            "''|0",
            "|0",
    })
    void findsEachHazard(String sql, String expected) {
        assertEquals(bits(expected), scan(sql == null ? "" : sql), sql);
    }

    @Test
    void commentsBeforeAStatement() {
        assertEquals(PREPARE, scan("-- comment\nPrepare p AS SELECT 1"));
        assertEquals(PREPARE, scan("/* a /* nested */ comment */ PREPARE p AS SELECT 1"));
        assertEquals(LISTEN, scan("SELECT 1; -- LISTEN x\n /* PREPARE */ listen y"));
        assertEquals(0, scan("-- LISTEN x"));
    }

    @Test
    void setInsideATransactionBlockIsNotASessionSet() {
        assertEquals(0, scan("SET statement_timeout = 0", true));
        assertEquals(SETTINGS, scan("SET search_path = a", true)); // read back even so: a COMMIT keeps it
        assertEquals(LISTEN, scan("LISTEN x", true));
    }

    @Test
    void transactionBlocksInTheText() {
        int begun = StatementScanner.BLOCK_BEGUN;
        int ended = StatementScanner.BLOCK_ENDED;
        assertEquals(begun, scan("BEGIN; SET work_mem = '8MB'"));
        assertEquals(ended, scan("BEGIN; SET work_mem = '8MB'; COMMIT"));
        assertEquals(ended | SESSION_SET, scan("COMMIT; SET work_mem = '8MB'"));
        assertEquals(begun, scan("start transaction isolation level serializable"));
        assertEquals(0, scan("ROLLBACK TO SAVEPOINT s; SET work_mem = '8MB'", true));
        assertEquals(ended | SESSION_SET, scan("ROLLBACK; SET work_mem = '8MB'", true));
        assertEquals(0, scan("SELECT 1", true));
        assertEquals(ended | TEMP, scan("BEGIN; CREATE TEMP TABLE t(a int); COMMIT"));
    }

    @Test
    void severalHazardsInOneQuery() {
        assertEquals(LISTEN | ADVISORY | PREPARE,
                scan("LISTEN a; SELECT pg_advisory_lock(1); PREPARE p AS SELECT 1"));
    }

    private static int bits(String names) {
        return switch (names) {
            case "0" -> 0;
            case "PREPARE" -> PREPARE;
            case "SESSION_SET" -> SESSION_SET;
            case "LISTEN" -> LISTEN;
            case "ADVISORY" -> ADVISORY;
            case "TEMP" -> TEMP;
            case "HOLD" -> HOLD;
            case "SETTINGS" -> SETTINGS;
            case "DROPS" -> StatementScanner.DROPS_STATEMENTS;
            case "SETTINGS+DROPS" -> SETTINGS | StatementScanner.DROPS_STATEMENTS;
            default -> throw new IllegalArgumentException(names);
        };
    }
}

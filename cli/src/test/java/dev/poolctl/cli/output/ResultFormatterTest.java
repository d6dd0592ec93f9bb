package dev.poolctl.cli.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.client.AdminClient.Result;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResultFormatterTest {
    private static final int TEXT = 25;
    private static final int INT4 = 23;
    private static final int INT8 = 20;
    private static final int NUMERIC = 1700;

    private static Result result(List<String> cols, List<Integer> types, List<List<String>> rows) {
        return new Result(cols, types, rows, "SHOW", List.of());
    }

    private static final Result POOLS = result(List.of("database", "cl_active", "pool_mode"),
            List.of(TEXT, INT4, TEXT),
            List.of(List.of("testdb", "12", "transaction"), Arrays.asList("pgbouncer", "3", null)));

    @Test
    void tableAlignsColumnsLikePsqlWithNumbersRightAligned() {
        assertEquals(String.join("\n",
                " database  | cl_active |  pool_mode",
                "-----------+-----------+-------------",
                " testdb    |        12 | transaction",
                " pgbouncer |         3 | ",
                "(2 rows)",
                ""), ResultFormatter.table(POOLS));
    }

    @Test
    void tableOfNoRowsHasHeaderAndCount() {
        Result r = result(List.of("name"), List.of(TEXT), List.of());
        assertEquals(" name\n------\n(0 rows)\n", ResultFormatter.table(r));
    }

    @Test
    void tableSaysOneRow() {
        Result r = result(List.of("version"), List.of(TEXT), List.of(List.of("PgBouncer 1.25.0")));
        assertTrue(ResultFormatter.table(r).endsWith("(1 row)\n"));
    }

    @Test
    void csvHasHeaderCrLfAndQuotesOnlyWhenNeeded() {
        Result r = result(List.of("key", "value"), List.of(TEXT, TEXT), List.of(
                List.of("plain", "a,b"),
                List.of("quote", "say \"hi\""),
                List.of("newline", "x\ny"),
                Arrays.asList("null", null)));
        assertEquals("key,value\r\nplain,\"a,b\"\r\nquote,\"say \"\"hi\"\"\"\r\nnewline,\"x\ny\"\r\nnull,\r\n",
                ResultFormatter.csv(r));
    }

    @Test
    void jsonIsAnArrayOfObjectsWithNumbersAndNulls() {
        assertEquals(String.join("\n",
                "[",
                "  {\"database\": \"testdb\", \"cl_active\": 12, \"pool_mode\": \"transaction\"},",
                "  {\"database\": \"pgbouncer\", \"cl_active\": 3, \"pool_mode\": null}",
                "]",
                ""), ResultFormatter.json(POOLS));
    }

    @Test
    void jsonNumbersOnlyForIntegerAndNumericTypes() {
        Result r = result(List.of("a", "b", "c", "d"), List.of(INT8, NUMERIC, TEXT, INT4),
                List.of(List.of("9223372036854775807", "12.5", "42", "n/a")));
        assertEquals("[\n  {\"a\": 9223372036854775807, \"b\": 12.5, \"c\": \"42\", \"d\": \"n/a\"}\n]\n",
                ResultFormatter.json(r));
    }

    @Test
    void jsonEscapesStrings() {
        Result r = result(List.of("k\"ey"), List.of(TEXT), List.of(List.of("a\\b\n\t\u0001")));
        assertEquals("[\n  {\"k\\\"ey\": \"a\\\\b\\n\\t\\u0001\"}\n]\n", ResultFormatter.json(r));
    }

    @Test
    void jsonOfNoRowsIsAnEmptyArray() {
        assertEquals("[]\n", ResultFormatter.json(result(List.of("x"), List.of(TEXT), List.of())));
    }

    @Test
    void jsonNumberGrammar() {
        assertTrue(ResultFormatter.isJsonNumber("0"));
        assertTrue(ResultFormatter.isJsonNumber("-17"));
        assertTrue(ResultFormatter.isJsonNumber("1.5e10"));
        assertFalse(ResultFormatter.isJsonNumber("+1"));
        assertFalse(ResultFormatter.isJsonNumber("01"));
        assertFalse(ResultFormatter.isJsonNumber("NaN"));
        assertFalse(ResultFormatter.isJsonNumber(""));
    }
}

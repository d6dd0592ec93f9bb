package dev.poolctl.pooler.admin;

import static dev.poolctl.pooler.admin.ResultSetWriter.int4;
import static dev.poolctl.pooler.admin.ResultSetWriter.numeric;
import static dev.poolctl.pooler.admin.ResultSetWriter.text;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.List;
import org.junit.jupiter.api.Test;

/** How the event loops' parts of a SHOW become one answer. */
class TableTest {
    private static Table lists(int pools, int usedClients, int databases) {
        return new Table(List.of(text("list"), int4("items")))
                .row("databases", databases).row("pools", pools).row("used_clients", usedClients);
    }

    @Test
    void rowsWithTheSameKeyAreOneRowWithTheCountsAddedUp() {
        Table merged = Table.merge(List.of(lists(3, 10, 5), lists(2, 0, 0)), new Table.Merge(1, 1));
        assertEquals(3, merged.rows().size());
        assertArrayEquals(new Object[] {"databases", 5}, merged.rows().get(0));
        assertArrayEquals(new Object[] {"pools", 5}, merged.rows().get(1));
        assertArrayEquals(new Object[] {"used_clients", 10}, merged.rows().get(2));
    }

    @Test
    void onlyTheNamedColumnsAreSummedAndLongsStayExact() {
        List<ResultSetWriter.Column> cols = List.of(text("database"), int4("port"), numeric("current"));
        Table a = new Table(cols).row("db", 6432, 1L << 40).row("only_a", 6432, 1L);
        Table b = new Table(cols).row("db", 6432, 1L << 40).row("only_b", 6432, 2L);
        Table merged = Table.merge(List.of(a, b), new Table.Merge(1, 2));
        assertArrayEquals(new Object[] {"db", 6432, 1L << 41}, merged.rows().get(0), "port is not a count");
        assertEquals(List.of("db", "only_a", "only_b"), merged.rows().stream().map(r -> r[0]).toList());
    }

    @Test
    void concatenationKeepsEveryRowInLoopOrder() {
        List<ResultSetWriter.Column> cols = List.of(text("type"), int4("id"));
        Table a = new Table(cols).row("C", 1).row("C", 3);
        Table b = new Table(cols).row("C", 2);
        Table merged = Table.merge(List.of(a, b), Table.Merge.CONCAT);
        assertEquals(List.of(1, 3, 2), merged.rows().stream().map(r -> r[1]).toList());
    }

    @Test
    void oneLoopsTableIsTheAnswerAsItIs() {
        Table only = lists(1, 1, 1);
        assertSame(only, Table.merge(List.of(only), new Table.Merge(1, 1)));
    }
}

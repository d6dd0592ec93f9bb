package dev.poolctl.pooler.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.poolctl.pooler.admin.ShowTables;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatsJsonTest {
    @Test
    void rowsAreObjectsWithNumbersForNumericColumnsAndEscapedStrings() {
        ShowTables.Result pools = new ShowTables.Result(List.of(new ShowTables.Column("database", false),
                new ShowTables.Column("cl_waiting", true), new ShowTables.Column("load_balance_hosts", false)),
                List.<Object[]>of(new Object[] {"d\"b\\\n\u0001", 2, null}));
        ShowTables.Result stats = new ShowTables.Result(List.of(new ShowTables.Column("database", false),
                new ShowTables.Column("total_xact_count", true)), List.<Object[]>of(new Object[] {"db", 12L}));
        assertEquals("{\"timestamp\":1700000000,\"pools\":[{\"database\":\"d\\\"b\\\\\\n\\u0001\",\"cl_waiting\":2,"
                + "\"load_balance_hosts\":null}],\"stats\":[{\"database\":\"db\",\"total_xact_count\":12}]}\n",
                StatsJson.write(1_700_000_000L, pools, stats));
    }
}

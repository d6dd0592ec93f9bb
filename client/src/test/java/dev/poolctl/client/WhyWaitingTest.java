package dev.poolctl.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The causes inferred from a PgBouncer's lists, with 1.25's columns and 1.18's fewer ones. */
class WhyWaitingTest {
    private static final List<String> POOLS = List.of("database", "user", "cl_active", "cl_waiting",
            "cl_active_cancel_req", "cl_waiting_cancel_req", "sv_active", "sv_active_cancel", "sv_being_canceled",
            "sv_idle", "sv_used", "sv_tested", "sv_login", "maxwait", "maxwait_us", "pool_mode", "load_balance_hosts");
    private static final List<String> DATABASES_125 = List.of("name", "host", "port", "database", "force_user",
            "pool_size", "min_pool_size", "reserve_pool_size", "server_lifetime", "pool_mode", "load_balance_hosts",
            "max_connections", "current_connections", "max_client_connections", "current_client_connections",
            "paused", "disabled");
    private static final List<String> DATABASES_118 = List.of("name", "host", "port", "database", "force_user",
            "pool_size", "min_pool_size", "reserve_pool", "pool_mode", "max_connections", "current_connections",
            "paused", "disabled");
    private static final List<String> USERS_125 = List.of("name", "pool_size", "reserve_pool_size", "pool_mode",
            "max_user_connections", "current_connections", "max_user_client_connections", "current_client_connections");

    private static AdminClient.Result result(List<String> columns, String... rows) {
        List<List<String>> data = new ArrayList<>();
        for (String r : rows) {
            data.add(Arrays.asList(r.split("\\|", -1)));
        }
        List<Integer> types = columns.stream().map(c -> 25).toList();
        return new AdminClient.Result(columns, types, data, "SHOW", List.of());
    }

    /** A SHOW POOLS row for app/u: waiting, active, idle, login servers, maxwait 2.5 s. */
    private static String pool(int waiting, int active, int idle, int login) {
        return "app|u|1|" + waiting + "|0|0|" + active + "|0|0|" + idle + "|0|0|" + login + "|2|500000|transaction|";
    }

    private static String db125(int poolSize, int reserve, int max, int current, int paused) {
        return "app|127.0.0.1|5432|app||" + poolSize + "|0|" + reserve + "|3600|||" + max + "|" + current + "|0|3|"
                + paused + "|0";
    }

    private static final AdminClient.Result CONFIG = result(List.of("key", "value", "default", "changeable"),
            "reserve_pool_timeout|3|5|yes", "max_client_conn|100|100|yes");
    private static final AdminClient.Result STATE = result(List.of("key", "value"), "active|yes", "paused|no",
            "suspended|no");
    private static final AdminClient.Result NO_USERS = result(USERS_125);

    private static WhyWaiting.Row only(List<WhyWaiting.Row> rows) {
        assertEquals(1, rows.size(), rows.toString());
        return rows.get(0);
    }

    @Test
    void poolSizeReachedWithAndWithoutAReservePool() {
        WhyWaiting.Row r = only(WhyWaiting.infer(result(POOLS, pool(3, 2, 0, 0), "pgbouncer|pgbouncer|1|0|0|0|0|0|0|0|0|0|0|0|0|statement|"),
                result(DATABASES_125, db125(2, 0, 0, 2, 0)), NO_USERS, CONFIG, STATE));
        assertEquals(new WhyWaiting.Row("app", "u", 3, 2_500_000, "pool_size",
                "servers 2 of pool_size 2 (sv_active 2, sv_used 0, sv_tested 0, sv_idle 0)"), r);
        assertEquals("pool_size", only(WhyWaiting.infer(result(POOLS, pool(3, 2, 0, 0)),
                result(DATABASES_125, db125(2, 1, 0, 2, 0)), NO_USERS, CONFIG, STATE)).cause());
        WhyWaiting.Row exhausted = only(WhyWaiting.infer(result(POOLS, pool(3, 3, 0, 0)),
                result(DATABASES_125, db125(2, 1, 0, 3, 0)), NO_USERS, CONFIG, STATE));
        assertEquals("reserve_pool", exhausted.cause());
        assertEquals("servers 3: pool_size 2 and reserve_pool 1 all in use", exhausted.detail());
    }

    @Test
    void aUsersPoolSizeGoesBeforeTheDatabases() {
        AdminClient.Result users = result(USERS_125, "u|        1||transaction|0|1|0|4");
        assertEquals("pool_size", only(WhyWaiting.infer(result(POOLS, pool(1, 1, 0, 0)),
                result(DATABASES_125, db125(20, 0, 0, 1, 0)), users, CONFIG, STATE)).cause());
    }

    @Test
    void pauseLoginsAndGlobalLimits() {
        assertEquals("paused", only(WhyWaiting.infer(result(POOLS, pool(1, 0, 0, 0)),
                result(DATABASES_125, db125(2, 0, 0, 0, 1)), NO_USERS, CONFIG, STATE)).cause());
        assertEquals("suspended", only(WhyWaiting.infer(result(POOLS, pool(1, 0, 0, 0)),
                result(DATABASES_125, db125(2, 0, 0, 0, 0)), NO_USERS, CONFIG,
                result(List.of("key", "value"), "active|no", "paused|yes", "suspended|yes"))).cause());
        assertEquals("server_login", only(WhyWaiting.infer(result(POOLS, pool(1, 0, 0, 1)),
                result(DATABASES_125, db125(2, 0, 0, 1, 0)), NO_USERS, CONFIG, STATE)).cause());
        WhyWaiting.Row maxDb = only(WhyWaiting.infer(result(POOLS, pool(1, 0, 0, 0)),
                result(DATABASES_125, db125(5, 0, 2, 2, 0)), NO_USERS, CONFIG, STATE));
        assertEquals("max_db_connections", maxDb.cause());
        AdminClient.Result users = result(USERS_125, "u|||transaction|1|1|0|2");
        assertEquals("max_user_connections", only(WhyWaiting.infer(result(POOLS, pool(1, 0, 0, 0)),
                result(DATABASES_125, db125(5, 0, 0, 1, 0)), users, CONFIG, STATE)).cause());
        WhyWaiting.Row failing = only(WhyWaiting.infer(result(POOLS, pool(1, 0, 0, 0)),
                result(DATABASES_125, db125(5, 0, 0, 0, 0)), NO_USERS, CONFIG, STATE));
        assertEquals("server_login_failing", failing.cause());
        assertTrue(failing.detail().contains("probably"), failing.detail());
    }

    /** PgBouncer 1.18: DATABASES calls it reserve_pool, USERS has no limits, and there is no SHOW STATE. */
    @Test
    void pgBouncer118sFewerColumns() {
        AdminClient.Result users = result(List.of("name", "pool_mode"), "u|transaction");
        WhyWaiting.Row r = only(WhyWaiting.infer(result(POOLS, pool(2, 3, 0, 0)),
                result(DATABASES_118, "app|127.0.0.1|5432|app||2|0|1|transaction|0|3|0|0"), users, CONFIG, null));
        assertEquals("reserve_pool", r.cause());
        assertEquals("paused", only(WhyWaiting.infer(result(POOLS, pool(2, 0, 0, 0)),
                result(DATABASES_118, "app|127.0.0.1|5432|app||2|0|0|transaction|0|0|1|0"), users, CONFIG, null)).cause());
    }

    @Test
    void nearMaxClientConnAtNinetyPercent() {
        assertTrue(new WhyWaiting.Report("PgBouncer 1.18.0", true, List.of(), 90, 100).nearMaxClientConn());
        assertFalse(new WhyWaiting.Report("PgBouncer 1.18.0", true, List.of(), 89, 100).nearMaxClientConn());
        assertFalse(new WhyWaiting.Report("PgBouncer 1.18.0", true, List.of(), -1, 0).nearMaxClientConn());
    }
}

package dev.poolctl.pooler.http;

import dev.poolctl.pooler.admin.ShowTables;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * poolctl's own counters on {@code /metrics}, beyond the exporter's: per pool its client logins and its server
 * logins that worked and failed (SHOW LOGINS), whether its server logins are failing now, the hazards its clients
 * ran into (SHOW HAZARDS); and client logins refused, by SQLSTATE (PgBouncer's codes: a wrong password, an unknown
 * database, max_client_conn are all 08P01; a server's own refusal passed on keeps PostgreSQL's).
 */
final class PoolctlMetrics {
    private static final String COUNTER = "counter";
    private static final String GAUGE = "gauge";
    private static final List<String> POOL = List.of("database", "user");

    /** SHOW LOGINS columns: the metric, its type and HELP. */
    private static final Map<String, String[]> LOGINS = new LinkedHashMap<>();

    static {
        LOGINS.put("client_logins", new String[] {"poolctl_pool_client_logins_total", COUNTER,
            "Client logins the pool served"});
        LOGINS.put("server_logins", new String[] {"poolctl_pool_server_logins_total", COUNTER,
            "Server logins of the pool that succeeded"});
        LOGINS.put("server_login_failures", new String[] {"poolctl_pool_server_login_failures_total", COUNTER,
            "Server logins of the pool that failed: an error from PostgreSQL, a connect, TLS or DNS failure"});
    }

    static final String LOGIN_FAILING = "poolctl_pool_server_login_failing";
    static final String HAZARDS = "poolctl_pool_hazards_total";
    static final String CLIENT_LOGIN_FAILURES = "poolctl_client_login_failures_total";

    /** The SHOWs these metrics are read from. */
    static final List<String> SHOWS = List.of("logins", "hazards");

    private PoolctlMetrics() {}

    /** Every name with its type: README's list, checked by the tests. */
    static Map<String, String> types() {
        Map<String, String> types = new LinkedHashMap<>();
        LOGINS.values().forEach(m -> types.put(m[0], m[1]));
        types.put(LOGIN_FAILING, GAUGE);
        types.put(HAZARDS, COUNTER);
        types.put(CLIENT_LOGIN_FAILURES, COUNTER);
        return types;
    }

    static void write(PrometheusText out, Map<String, ShowTables.Result> shows, Map<String, Long> loginFailures) {
        ShowTables.Result logins = shows.get("logins");
        if (!logins.rows().isEmpty()) {
            int db = logins.column("database");
            int user = logins.column("user");
            for (Map.Entry<String, String[]> m : LOGINS.entrySet()) {
                int c = logins.column(m.getKey());
                out.family(m.getValue()[0], m.getValue()[1], m.getValue()[2]);
                for (Object[] row : logins.rows()) {
                    out.sample(m.getValue()[0], POOL, pool(row, db, user), ((Number) row[c]).doubleValue());
                }
            }
            int error = logins.column("last_login_error");
            out.family(LOGIN_FAILING, GAUGE, "1 while the pool's last server login failed and none has succeeded since");
            for (Object[] row : logins.rows()) {
                out.sample(LOGIN_FAILING, POOL, pool(row, db, user), row[error] == null ? 0 : 1);
            }
        }
        hazards(out, shows.get("hazards"));
        if (!loginFailures.isEmpty()) {
            out.family(CLIENT_LOGIN_FAILURES, COUNTER,
                    "Client logins refused with an ErrorResponse, by SQLSTATE");
            loginFailures.forEach((state, n) -> out.sample(CLIENT_LOGIN_FAILURES, List.of("sqlstate"), List.of(state),
                    n));
        }
    }

    /** SHOW HAZARDS: a column per hazard after database and user, one sample per pool and hazard. */
    private static void hazards(PrometheusText out, ShowTables.Result hazards) {
        if (hazards.rows().isEmpty()) {
            return;
        }
        int db = hazards.column("database");
        int user = hazards.column("user");
        out.family(HAZARDS, COUNTER, "Statements that transaction pooling may break (SHOW HAZARDS), by kind");
        for (Object[] row : hazards.rows()) {
            List<String> pool = pool(row, db, user);
            for (int c = 0; c < hazards.columns().size(); c++) {
                if (c != db && c != user) {
                    out.sample(HAZARDS, List.of("database", "user", "hazard"),
                            List.of(pool.get(0), pool.get(1), hazards.columns().get(c).name()),
                            ((Number) row[c]).doubleValue());
                }
            }
        }
    }

    private static List<String> pool(Object[] row, int db, int user) {
        return List.of(String.valueOf(row[db]), String.valueOf(row[user]));
    }
}

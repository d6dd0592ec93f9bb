package dev.poolctl.client;

import dev.poolctl.pooler.pool.WaitCause;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Why clients wait, per pool: a poolctl says it (SHOW WAITS, from its pools' state); for a PgBouncer, which has no
 * such command, it is inferred from SHOW POOLS, DATABASES, USERS, CONFIG and STATE with the same words
 * ({@link WaitCause}'s) and the same order of checks (pause, logins, pool_size and the reserve pool, max_db_connections, max_user_connections), and
 * the report says it is inferred. Both also say when the clients are near max_client_conn.
 */
public final class WhyWaiting {
    /** One pool with waiting clients; {@code cause} is one of poolctl's SHOW WAITS words. */
    public record Row(String database, String user, long clWaiting, long maxwaitUs, String cause, String detail) {}

    /**
     * @param inferred true when the rows were worked out from PgBouncer's lists rather than told by the pooler
     * @param clients client connections in use (SHOW LISTS used_clients), -1 if unknown
     * @param maxClientConn max_client_conn, 0 if unknown
     */
    public record Report(String version, boolean inferred, List<Row> rows, long clients, long maxClientConn) {
        public Report {
            rows = List.copyOf(rows);
        }

        /** Whether 90 % or more of max_client_conn is in use: the next clients may be refused, not queued. */
        public boolean nearMaxClientConn() {
            return maxClientConn > 0 && clients * 10 >= maxClientConn * 9;
        }
    }

    private WhyWaiting() {}

    /** Asks {@code client}'s pooler. */
    public static Report ask(AdminClient client) throws IOException, AdminException {
        String version = firstValue(client.query("SHOW VERSION"));
        AdminClient.Result config = client.query("SHOW CONFIG");
        long clients = keyValue(client.query("SHOW LISTS"), "used_clients", -1);
        long maxClientConn = keyValue(config, "max_client_conn", 0);
        if (version.startsWith("poolctl")) {
            AdminClient.Result waits = client.query("SHOW WAITS");
            List<Row> rows = new ArrayList<>();
            Columns c = new Columns(waits);
            for (List<String> r : waits.rows()) {
                rows.add(new Row(c.text(r, "database"), c.text(r, "user"), c.number(r, "cl_waiting", 0),
                        c.number(r, "maxwait_us", 0), c.text(r, "cause"), c.text(r, "detail")));
            }
            return new Report(version, false, rows, clients, maxClientConn);
        }
        AdminClient.Result state;
        try {
            state = client.query("SHOW STATE"); // 1.19+; 1.18 answers with an error
        } catch (AdminException e) {
            state = null;
        }
        List<Row> rows = infer(client.query("SHOW POOLS"), client.query("SHOW DATABASES"), client.query("SHOW USERS"),
                config, state);
        return new Report(version, true, rows, clients, maxClientConn);
    }

    /** The rows for a PgBouncer's lists ({@code state} null when it has no SHOW STATE). */
    public static List<Row> infer(AdminClient.Result pools, AdminClient.Result databases, AdminClient.Result users,
                           AdminClient.Result config, AdminClient.Result state) {
        Columns p = new Columns(pools);
        Columns d = new Columns(databases);
        Columns u = new Columns(users);
        Map<String, List<String>> dbRows = byName(databases, d);
        Map<String, List<String>> userRows = byName(users, u);
        boolean suspended = state != null && "yes".equals(keyText(state, "suspended"));
        boolean paused = state != null && "yes".equals(keyText(state, "paused"));
        long reserveTimeout = keyValue(config, "reserve_pool_timeout", 5);
        List<Row> out = new ArrayList<>();
        for (List<String> r : pools.rows()) {
            long waiting = p.number(r, "cl_waiting", 0);
            String db = p.text(r, "database");
            if (waiting == 0 || "pgbouncer".equals(db)) {
                continue;
            }
            String user = p.text(r, "user");
            List<String> dbRow = dbRows.get(db);
            List<String> userRow = userRows.get(user);
            long maxwait = p.number(r, "maxwait", 0) * 1_000_000 + p.number(r, "maxwait_us", 0);
            WaitCause why = cause(p, r, d, dbRow, u, userRow, suspended, paused, reserveTimeout);
            out.add(new Row(db, user, waiting, maxwait, why.cause(), why.detail()));
        }
        return out;
    }

    private static WaitCause cause(Columns p, List<String> r, Columns d, List<String> dbRow, Columns u,
                                   List<String> userRow, boolean suspended, boolean paused, long reserveTimeout) {
        String db = p.text(r, "database");
        if (suspended) {
            return WaitCause.suspended();
        }
        if (paused || (dbRow != null && d.number(dbRow, "paused", 0) == 1)) {
            return WaitCause.paused(paused ? null : db);
        }
        long login = p.number(r, "sv_login", 0);
        if (login > 0) {
            return WaitCause.serverLogin(login);
        }
        long servers = login + p.number(r, "sv_active", 0) + p.number(r, "sv_idle", 0) + p.number(r, "sv_used", 0)
                + p.number(r, "sv_tested", 0) + p.number(r, "sv_being_canceled", 0);
        long size = userRow != null && u.number(userRow, "pool_size", -1) >= 0 ? u.number(userRow, "pool_size", -1)
                : dbRow == null ? -1 : d.number(dbRow, "pool_size", -1);
        long reserve = userRow != null && u.number(userRow, "reserve_pool_size", -1) >= 0
                ? u.number(userRow, "reserve_pool_size", -1)
                : dbRow == null ? 0 : Math.max(d.number(dbRow, "reserve_pool_size", -1), d.number(dbRow, "reserve_pool", 0));
        if (size >= 0 && servers >= size) {
            return WaitCause.poolFull(servers, size, reserve, reserveTimeout * 1_000_000_000L, WaitCause.busy(
                    p.number(r, "sv_active", 0), p.number(r, "sv_used", 0), p.number(r, "sv_tested", 0),
                    p.number(r, "sv_idle", 0)));
        }
        if (dbRow != null && d.number(dbRow, "max_connections", 0) > 0
                && d.number(dbRow, "current_connections", 0) >= d.number(dbRow, "max_connections", 0)) {
            return WaitCause.maxDbConnections(d.number(dbRow, "max_connections", 0), db);
        }
        if (userRow != null && u.number(userRow, "max_user_connections", 0) > 0
                && u.number(userRow, "current_connections", 0) >= u.number(userRow, "max_user_connections", 0)) {
            return WaitCause.maxUserConnections(u.number(userRow, "max_user_connections", 0), p.text(r, "user"));
        }
        return new WaitCause(WaitCause.SERVER_LOGIN_FAILING, "servers " + servers + " of pool_size " + size
                + ", none logging in: server logins are probably failing (PgBouncer names the error only in its log)");
    }

    private static Map<String, List<String>> byName(AdminClient.Result r, Columns c) {
        Map<String, List<String>> m = new HashMap<>();
        for (List<String> row : r.rows()) {
            m.put(c.text(row, "name"), row);
        }
        return m;
    }

    private static String firstValue(AdminClient.Result r) {
        return r.rows().isEmpty() || r.rows().get(0).isEmpty() || r.rows().get(0).get(0) == null ? ""
                : r.rows().get(0).get(0);
    }

    /** A {@code key,value} list's value (SHOW CONFIG, LISTS, STATE; LISTS calls its columns list,items). */
    private static String keyText(AdminClient.Result r, String key) {
        for (List<String> row : r.rows()) {
            if (row.size() >= 2 && key.equals(row.get(0))) {
                return row.get(1) == null ? null : row.get(1).trim().toLowerCase(Locale.ROOT);
            }
        }
        return null;
    }

    private static long keyValue(AdminClient.Result r, String key, long absent) {
        return parse(keyText(r, key), absent);
    }

    private static long parse(String s, long absent) {
        if (s == null || s.isBlank()) {
            return absent;
        }
        try {
            return Long.parseLong(s.trim());
        } catch (NumberFormatException e) {
            return absent;
        }
    }

    /** Column lookup by name, as PgBouncer versions add and rename columns. */
    private record Columns(List<String> names) {
        Columns(AdminClient.Result r) {
            this(r.columns());
        }

        String text(List<String> row, String column) {
            int i = names.indexOf(column);
            return i < 0 || i >= row.size() ? null : row.get(i);
        }

        long number(List<String> row, String column, long absent) {
            return parse(text(row, column), absent);
        }
    }
}

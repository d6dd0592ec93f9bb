package dev.poolctl.pooler.admin;

import static dev.poolctl.pooler.admin.ResultSetWriter.int4;
import static dev.poolctl.pooler.admin.ResultSetWriter.int8;
import static dev.poolctl.pooler.admin.ResultSetWriter.numeric;
import static dev.poolctl.pooler.admin.ResultSetWriter.text;

import dev.poolctl.pooler.Version;
import dev.poolctl.pooler.config.DatabaseConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.PoolerConfig;
import dev.poolctl.pooler.config.Setting;
import dev.poolctl.pooler.hazard.Hazard;
import dev.poolctl.pooler.pool.ClientCounts;
import dev.poolctl.pooler.pool.Pool;
import dev.poolctl.pooler.pool.PoolManager;
import dev.poolctl.pooler.pool.ClientState;
import dev.poolctl.pooler.pool.PoolClient;
import dev.poolctl.pooler.pool.PoolServer;
import dev.poolctl.pooler.stats.StatsSnapshot;
import io.netty.buffer.ByteBuf;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;

/**
 * The SHOW commands with PgBouncer's current column names, order and types (admin.c), filled from the pools'
 * real state. Commands whose subsystem poolctl does not have (DNS cache, slab allocator, peers) answer with
 * the right columns and no rows.
 */
final class ShowCommands {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss 'UTC'").withZone(ZoneOffset.UTC);

    private final PoolManager manager;

    ShowCommands(PoolManager manager) {
        this.manager = manager;
    }

    /** How the loops' parts of a SHOW are merged; null when {@code what} is answered from one loop's state. */
    static Table.Merge merge(String what) {
        return switch (what) {
            case "databases" -> new Table.Merge(1, 12); // client counts are over every loop already
            case "pools" -> new Table.Merge(2, 2);
            case "users" -> new Table.Merge(1, 5);
            case "lists", "totals" -> new Table.Merge(1, 1);
            case "stats", "stats_totals", "stats_averages" -> Table.Merge.SUM_BY_KEY; // each loop's pgbouncer row
            case "hazards", "clients", "servers", "sockets", "active_sockets", "histograms", "logins", "waits" ->
                    Table.Merge.CONCAT;
            default -> null;
        };
    }

    /** This loop's part of a SHOW that {@link #merge} names, or the whole answer of SHOW VERSION or CONFIG. */
    Table rows(String what) {
        return switch (what) {
            case "databases" -> databases();
            case "pools" -> pools();
            case "hazards" -> hazards();
            case "histograms" -> HistogramTable.of(manager);
            case "logins" -> LoginTable.of(manager);
            case "waits" -> WaitTable.of(manager);
            case "clients" -> sockets(true, false, false, false);
            case "servers" -> sockets(false, true, false, false);
            case "sockets" -> sockets(true, true, true, false);
            case "active_sockets" -> sockets(true, true, true, true);
            case "users" -> UserTable.of(manager);
            case "lists" -> lists();
            case "stats" -> stats();
            case "stats_totals" -> statsTotals();
            case "stats_averages" -> statsAverages();
            case "totals" -> totals();
            case "version" -> version(); // the whole process's, from any one loop (ShowTables)
            case "config" -> config();
            default -> throw new IllegalArgumentException("not a SHOW with rows: " + what);
        };
    }

    /** Writes the answer to a {@code SHOW what} that needs no loop's pools; false when there is no such SHOW. */
    boolean show(String what, ByteBuf out) {
        switch (what) {
            case "help" -> ConsoleHelp.write(out);
            case "version" -> version().writeTo(out);
            case "config" -> config().writeTo(out);
            case "state" -> state(out);
            case "mem" -> empty(out, text("name"), int4("size"), int4("used"), int4("free"), int4("memtotal"));
            case "dns_hosts" -> empty(out, text("hostname"), int8("ttl"), text("addrs"));
            case "dns_zones" -> empty(out, text("zonename"), int8("serial"), int4("count"));
            case "peers" -> {
                ResultSetWriter w = new ResultSetWriter(out, List.of(int4("peer_id"), text("host"), int4("port"),
                        int4("pool_size")));
                manager.config().peers().values().forEach(p -> w.row(p.id(), p.host(), p.port(), p.poolSize()));
                ResultSetWriter.complete(out, "SHOW");
            }
            case "peer_pools" -> empty(out, int4("peer_id"), int4("cl_active_cancel_req"), int4("cl_waiting_cancel_req"),
                    int4("sv_active_cancel"), int4("sv_login"));
            case "fds" -> empty(out, int4("fd"), text("task"), text("user"), text("database"), text("addr"), int4("port"),
                    int8("cancel"), int4("link"), text("client_encoding"), text("std_strings"), text("datestyle"),
                    text("timezone"), text("password"), text("scram_client_key"), text("scram_server_key"));
            default -> {
                return false;
            }
        }
        return true;
    }

    private static void empty(ByteBuf out, ResultSetWriter.Column... columns) {
        new ResultSetWriter(out, List.of(columns));
        ResultSetWriter.complete(out, "SHOW");
    }

    private static Table version() {
        return new Table(List.of(text("version"))).row("poolctl " + Version.VERSION);
    }

    private Table config() {
        Table rs = new Table(List.of(text("key"), text("value"), text("default"), text("changeable")));
        GeneralSettings g = manager.config().general();
        for (Setting s : Setting.values()) {
            String value = g.raw(s);
            rs.row(s.key(), value == null ? "" : value, s.defaultValue(), s.reloadable() ? "yes" : "no");
        }
        return rs;
    }

    private Table databases() {
        Table rs = new Table(List.of(text("name"), text("host"), int4("port"), text("database"),
                text("force_user"), int4("pool_size"), int4("min_pool_size"), int4("reserve_pool_size"),
                int4("server_lifetime"), text("pool_mode"), text("load_balance_hosts"), int4("max_connections"),
                int4("current_connections"), int4("max_client_connections"), int4("current_client_connections"),
                int4("paused"), int4("disabled"), text("target_session_attrs"), text("current_host")));
        PoolerConfig config = manager.config();
        GeneralSettings g = config.general();
        ClientCounts clients = manager.global().databaseClients(); // max_db_client_connections' counts
        for (DatabaseConfig db : config.databases().values()) {
            int servers = 0;
            String current = null; // poolctl's: where the pools log in now (after a failover, the new primary)
            for (Pool p : manager.pools()) {
                if (p.key().database().equals(db.name())) {
                    servers += p.serverCount();
                    current = current != null ? current : p.hosts().current();
                }
            }
            String host = db.hosts().isEmpty() ? null : String.join(",", db.hosts());
            rs.row(db.name(), host, db.port(), db.dbname() != null ? db.dbname() : db.name(), db.user(),
                    config.poolSize(db),
                    config.minPoolSize(db), config.reservePoolSize(db),
                    config.serverLifetime(db).toSeconds(),
                    db.poolMode() == null ? null : db.poolMode().toString(),
                    db.hosts().size() > 1 ? db.loadBalanceHosts().toString() : null, // PgBouncer: for a host list
                    config.maxDbConnections(db), servers, config.maxDbClientConnections(db), clients.count(db.name()),
                    manager.isPaused(db.name()) ? 1 : 0, manager.isDisabled(db.name()) ? 1 : 0,
                    db.targetSessionAttrs().toString(), current);
        }
        // The console itself, as PgBouncer lists it.
        rs.row("pgbouncer", null, g.listenPort(), "pgbouncer", "pgbouncer", 2, 0, 0,
                g.serverLifetime().toSeconds(), "statement", null, 0, 0, g.maxDbClientConnections(),
                clients.count("pgbouncer"), 0, 0,
                null, null);
        return rs;
    }

    private Table pools() {
        Table rs = new Table(List.of(text("database"), text("user"), int4("cl_active"),
                int4("cl_waiting"), int4("cl_active_cancel_req"), int4("cl_waiting_cancel_req"), int4("sv_active"),
                int4("sv_active_cancel"), int4("sv_being_canceled"), int4("sv_idle"), int4("sv_used"),
                int4("sv_tested"), int4("sv_login"), int4("maxwait"), int4("maxwait_us"), text("pool_mode"),
                text("load_balance_hosts")));
        rs.row("pgbouncer", "pgbouncer", manager.adminClientCount(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                "statement", null);
        long now = System.nanoTime();
        for (Pool p : manager.pools()) {
            long wait = p.maxWaitNanos(now);
            rs.row(p.key().database(), p.key().user(), p.activeClientCount(), p.queuedCount(),
                    p.activeCancelRequestCount(), p.waitingCancelRequestCount(), p.activeCount(),
                    p.activeCancelRequestCount(), p.beingCanceledCount(), p.idleCount(), p.usedCount() - p.testedCount(), p.testedCount(),
                    p.loginCount(), wait / 1_000_000_000L, (wait / 1_000L) % 1_000_000L, p.mode().toString(),
                    p.database().hosts().size() > 1 ? p.database().loadBalanceHosts().toString() : null);
        }
        return rs;
    }

    /**
     * poolctl's own: per pool, how often clients did what transaction pooling cannot carry to the next server
     * (see Hazard). A command of its own, so that SHOW POOLS stays PgBouncer's for tools that parse it.
     */
    private Table hazards() {
        List<ResultSetWriter.Column> columns = new java.util.ArrayList<>(List.of(text("database"), text("user")));
        for (Hazard h : Hazard.values()) {
            columns.add(int8(h.column()));
        }
        Table rs = new Table(columns);
        for (Pool p : manager.pools()) {
            Object[] row = new Object[columns.size()];
            row[0] = p.key().database();
            row[1] = p.key().user();
            for (Hazard h : Hazard.values()) {
                row[2 + h.ordinal()] = p.hazardCount(h);
            }
            rs.row(row);
        }
        return rs;
    }

    /** Items of the whole process (databases, users, clients) come from the first loop; the rest from each. */
    private Table lists() {
        Table rs = new Table(List.of(text("list"), int4("items")));
        boolean first = manager.index() == 0;
        int servers = 0;
        for (Pool p : manager.pools()) {
            servers += p.serverCount();
        }
        rs.row("databases", first ? manager.config().databases().size() + 1 : 0)
                .row("users", first ? UserTable.names(manager).size() : 0)
                .row("peers", 0)
                .row("pools", manager.pools().size() + (first ? 1 : 0))
                .row("peer_pools", 0)
                .row("free_clients", 0)
                .row("used_clients", first ? manager.clientCount() : 0)
                .row("login_clients", manager.loginClientCount())
                .row("free_servers", 0)
                .row("used_servers", servers)
                .row("dns_names", 0)
                .row("dns_zones", 0)
                .row("dns_queries", 0)
                .row("dns_pending", 0);
        return rs;
    }

    /**
     * PgBouncer's three rows, then poolctl's own (tools read SHOW STATE by key): when the pooler started, and whether
     * a DRAIN runs with its deadline, for the dashboard's uptime and drain progress.
     */
    private void state(ByteBuf out) {
        PoolManager.PauseMode mode = manager.pauseMode();
        var global = manager.global();
        new ResultSetWriter(out, List.of(text("key"), text("value")))
                .row("active", mode == PoolManager.PauseMode.NONE ? "yes" : "no")
                .row("paused", mode == PoolManager.PauseMode.PAUSE ? "yes" : "no")
                .row("suspended", mode == PoolManager.PauseMode.SUSPEND ? "yes" : "no")
                .row("started_at", TIME.format(global.startedAt()))
                .row("draining", global.isDraining() ? "yes" : "no")
                .row("drain_deadline", global.drainDeadline() == null ? null : TIME.format(global.drainDeadline()));
        ResultSetWriter.complete(out, "SHOW");
    }

    // ---- SHOW STATS family (PgBouncer's stats.c): per database, summed over its pools ----

    private record DbStats(String database, StatsSnapshot total, StatsSnapshot older) {
        StatsSnapshot average(long micros) {
            return total.averageSince(older, micros);
        }
    }

    private List<DbStats> statsByDatabase() {
        java.util.Map<String, DbStats> byDb = new java.util.LinkedHashMap<>();
        for (Pool p : manager.pools()) {
            String db = p.key().database();
            DbStats prev = byDb.getOrDefault(db, new DbStats(db, StatsSnapshot.ZERO, StatsSnapshot.ZERO));
            byDb.put(db, new DbStats(db, prev.total().plus(p.stats().current()), prev.older().plus(p.stats().older())));
        }
        var console = manager.stats().console(); // PgBouncer's admin pool is in its pool list, so in these tables
        byDb.put("pgbouncer", new DbStats("pgbouncer", console.current(), console.older()));
        return List.copyOf(byDb.values());
    }

    private static Object[] counts(StatsSnapshot s) {
        return new Object[] {s.serverAssignmentCount(), s.xactCount(), s.queryCount(), s.clientBytes(),
            s.serverBytes(), s.xactTimeUs(), s.queryTimeUs(), s.waitTimeUs(), s.clientParseCount(),
            s.serverParseCount(), s.bindCount(), s.clientLoginCount()};
    }

    private static Object[] row(String first, Object[]... parts) {
        List<Object> all = new java.util.ArrayList<>();
        all.add(first);
        for (Object[] p : parts) {
            all.addAll(List.of(p));
        }
        return all.toArray();
    }

    private Table stats() {
        List<ResultSetWriter.Column> cols = new java.util.ArrayList<>();
        cols.add(text("database"));
        for (String c : List.of("server_assignment_count", "xact_count", "query_count", "received", "sent",
                "xact_time", "query_time", "wait_time", "client_parse_count", "server_parse_count", "bind_count",
                "client_login_count")) {
            cols.add(numeric("total_" + c));
        }
        for (String c : List.of("server_assignment_count", "xact_count", "query_count", "recv", "sent",
                "xact_time", "query_time", "wait_time", "client_parse_count", "server_parse_count", "bind_count",
                "client_login_count")) {
            cols.add(numeric("avg_" + c));
        }
        Table rs = new Table(cols);
        long micros = manager.stats().micros();
        for (DbStats d : statsByDatabase()) {
            rs.row(row(d.database(), counts(d.total()), counts(d.average(micros))));
        }
        return rs;
    }

    private static List<ResultSetWriter.Column> perDatabaseColumns(String countPrefix) {
        List<ResultSetWriter.Column> cols = new java.util.ArrayList<>();
        cols.add(text("database"));
        for (String c : List.of("server_assignment_count", "xact_count", "query_count", "bytes_received",
                "bytes_sent", "xact_time", "query_time", "wait_time")) {
            cols.add(numeric(c));
        }
        for (String c : List.of("client_parse_count", "server_parse_count", "bind_count", "client_login_count")) {
            cols.add(numeric(countPrefix + c));
        }
        return cols;
    }

    private Table statsTotals() {
        Table rs = new Table(perDatabaseColumns(""));
        for (DbStats d : statsByDatabase()) {
            rs.row(row(d.database(), counts(d.total())));
        }
        return rs;
    }

    private Table statsAverages() {
        // PgBouncer's naming quirk: only the newer columns of STATS_AVERAGES carry the avg_ prefix.
        Table rs = new Table(perDatabaseColumns("avg_"));
        long micros = manager.stats().micros();
        for (DbStats d : statsByDatabase()) {
            rs.row(row(d.database(), counts(d.average(micros))));
        }
        return rs;
    }

    private Table totals() {
        StatsSnapshot total = StatsSnapshot.ZERO;
        StatsSnapshot older = StatsSnapshot.ZERO;
        for (DbStats d : statsByDatabase()) {
            total = total.plus(d.total());
            older = older.plus(d.older());
        }
        Table rs = new Table(List.of(text("name"), numeric("value")));
        List<String> names = List.of("server_assignment_count", "xact_count", "query_count", "client_bytes",
                "server_bytes", "xact_time", "query_time", "wait_time", "ps_client_parse_count",
                "ps_server_parse_count", "ps_bind_count", "client_login_count");
        Object[] totals = counts(total);
        Object[] averages = counts(total.averageSince(older, manager.stats().micros()));
        for (int i = 0; i < names.size(); i++) {
            rs.row("total_" + names.get(i), totals[i]);
        }
        for (int i = 0; i < names.size(); i++) {
            rs.row("avg_" + names.get(i), averages[i]);
        }
        return rs;
    }

    // ---- SHOW CLIENTS / SERVERS: one row per socket ----

    /**
     * SHOW CLIENTS / SERVERS, and SOCKETS / ACTIVE_SOCKETS ({@code debug}: PgBouncer's seven buffer columns and
     * list-style states such as cl_active, sv_idle; {@code pendingOnly}: only sockets with unsent bytes).
     */
    private Table sockets(boolean clients, boolean servers, boolean debug, boolean pendingOnly) {
        List<ResultSetWriter.Column> cols = new java.util.ArrayList<>(List.of(text("type"), text("user"),
                text("database"), text("replication"), text("state"), text("addr"), int4("port"), text("local_addr"),
                int4("local_port"), text("connect_time"), text("request_time"), int4("wait"),
                int4("wait_us"), int4("close_needed"), text("ptr"), text("link"), int4("remote_pid"), text("tls"),
                text("application_name"), int4("prepared_statements"), int8("id")));
        if (debug) {
            for (String c : List.of("recv_pos", "pkt_pos", "pkt_remain", "send_pos", "send_remain", "pkt_avail",
                    "send_avail")) {
                cols.add(int4(c));
            }
        }
        Table rs = new Table(cols);
        long now = System.nanoTime();
        if (clients) {
            // PgBouncer keeps console clients in the admin pool: database pgbouncer, always active.
            for (PoolClient c : manager.adminClients()) {
                socketRow(rs, debug, pendingOnly, "C", c.user(), "pgbouncer", "none", debug ? "cl_active" : "active",
                        c.remoteAddress(), c.localAddress(), c.pendingWriteBytes(), c.connectNanos(), c.lastActivityNanos(), 0, false, ptr(c.id()), "", 0,
                        c.tlsInfo(), c.applicationName(), 0, c.id(), now);
            }
        }
        for (Pool p : manager.pools()) {
            if (clients) {
                for (PoolClient c : p.clients()) {
                    String state = switch (c.state()) {
                        case WAITING, LOGIN_WAIT -> "waiting";
                        case ACTIVE -> "active";
                        default -> "idle";
                    };
                    if (debug) {
                        state = c.state() == ClientState.WAITING || c.state() == ClientState.LOGIN_WAIT
                                ? "cl_waiting" : "cl_active";
                    }
                    long wait = c.state() == ClientState.WAITING ? now - c.entry().sinceNanos() : 0;
                    PoolServer link = c.server();
                    socketRow(rs, debug, pendingOnly, "C", c.user(), p.key().database(), c.replication().shown(), state,
                            c.remoteAddress(),
                            c.localAddress(), c.pendingWriteBytes(),
                            c.connectNanos(), c.lastActivityNanos(), wait, false, ptr(c.id()),
                            link == null ? "" : ptr(link.id()), 0, c.tlsInfo(), c.applicationName(),
                            c.preparedStatementCount(), c.id(), now);
                }
            }
            if (servers) {
                for (PoolServer s : p.servers()) {
                    String state = switch (s.state()) {
                        case ACTIVE -> "active";
                        case IDLE -> "idle";
                        case USED -> "used";
                        case TESTED -> "tested";
                        case BEING_CANCELED -> "being_canceled";
                        default -> debug ? "login" : "new";
                    };
                    if (debug) {
                        state = "sv_" + state;
                    }
                    PoolClient link = s.client();
                    socketRow(rs, debug, pendingOnly, "S", p.key().user(), p.key().database(), s.replication().shown(), state,
                            s.remoteAddress(),
                            s.localAddress(), s.pendingWriteBytes(), s.connectNanos(), s.lastUsedNanos(), 0,
                            s.closeNeeded(), ptr(s.id()), link == null ? "" : ptr(link.id()), s.backendPid(),
                            s.tlsInfo(), s.applicationName(), s.preparedStatementCount(), s.id(), now);
                }
            }
        }
        return rs;
    }

    private static void socketRow(Table rs, boolean debug, boolean pendingOnly, String type, String user,
                                  String database, String replication, String state, SocketAddress remote, SocketAddress local,
                                  long pending, long connectNanos, long requestNanos, long waitNanos,
                                  boolean closeNeeded, String ptr, String link, int remotePid, String tls,
                                  String applicationName, int preparedStatements, long id, long now) {
        if (pendingOnly && pending == 0) {
            return;
        }
        List<Object> row = new java.util.ArrayList<>(java.util.Arrays.asList(type, user, database, replication, state,
                host(remote), port(remote), host(local), port(local), wallClock(connectNanos, now),
                wallClock(requestNanos, now), waitNanos / 1_000_000_000L, (waitNanos / 1_000L) % 1_000_000L,
                closeNeeded ? 1 : 0, ptr, link, remotePid, tls, applicationName, preparedStatements, id));
        if (debug) {
            // PgBouncer's iobuf positions have no equivalent here; send_avail is what waits to be written.
            row.addAll(List.of(0, 0, 0, 0, 0, 0, pending));
        }
        rs.row(row.toArray());
    }

    /** PgBouncer prints %p; a stable per-connection hex id plays that part. */
    private static String ptr(long id) {
        return "0x" + Long.toHexString(id);
    }

    private static String wallClock(long nanos, long now) {
        return TIME.format(Instant.now().minusNanos(now - nanos));
    }

    private static String host(SocketAddress a) {
        if (a instanceof InetSocketAddress inet) {
            return inet.getAddress() != null ? inet.getAddress().getHostAddress() : inet.getHostString();
        }
        return "unix";
    }

    private static int port(SocketAddress a) { return a instanceof InetSocketAddress inet ? inet.getPort() : 0; }
}

package dev.poolctl.pooler.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RealPgBouncer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.util.PSQLException;
import org.postgresql.util.PSQLWarning;
import org.postgresql.util.ServerErrorMessage;

/**
 * The admin console side by side with the real PgBouncer (Debian's package, 1.18 on Debian 12), both in front of
 * the test cluster with the same settings, both asked over pgjdbc in simple query mode as admin user md5_user:
 * <ul>
 *   <li>every SHOW: PgBouncer's column names are a subsequence of poolctl's (1.18's lists are shorter than the
 *       newest ones poolctl implements, ../shared/docs/pgbouncer-reference.md Part 1b; the one documented rename,
 *       {@link #RENAMED}, is applied and printed); poolctl's extra columns are printed, type differences too
 *       (info only);</li>
 *   <li>SHOW LISTS / CONFIG / STATE: every row key PgBouncer has, poolctl has too;</li>
 *   <li>SHOW HELP: the same NOTICE, and every word of PgBouncer's command list in poolctl's;</li>
 *   <li>{@code SHOW NONSENSE}: the same SQLSTATE and error text.</li>
 * </ul>
 * A command poolctl answers with "invalid command" / "... not implemented ..." is reported as skipped (aborted),
 * not failed, and so is one this PgBouncer does not know (1.18 has no SHOW STATE, PEERS, PEER_POOLS). Skipped as
 * a whole where PgBouncer is not installed (see {@link RealPgBouncer#binary()}); nothing is installed here. The
 * findings are printed at the end (failsafe-reports/...PgBouncerCompatIT-output.txt).
 *
 * <p>pgjdbc 42.7.5+ cannot open PgBouncer's console unaided (it sends {@code SET extra_float_digits = 2}, which
 * 1.18 refuses): {@link RealPgBouncer#connect} answers that one statement itself, see there. poolctl's console
 * accepts it, so poolctl is asked with plain pgjdbc.
 */
@ExtendWith(PgBouncerCompatIT.RequiresPgBouncer.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PgBouncerCompatIT {
    static final List<String> COMMANDS = List.of("POOLS", "CLIENTS", "SERVERS", "DATABASES", "USERS", "CONFIG",
            "LISTS", "MEM", "VERSION", "STATE", "DNS_HOSTS", "DNS_ZONES", "FDS", "PEERS", "PEER_POOLS", "STATS",
            "STATS_TOTALS", "STATS_AVERAGES", "TOTALS", "SOCKETS", "ACTIVE_SOCKETS", "HELP");

    /** Commands whose rows are keyed by their first column; PgBouncer's keys must all be in poolctl's answer. */
    static final Set<String> ROW_KEYED = Set.of("LISTS", "CONFIG", "STATE");

    /**
     * Columns PgBouncer renamed after 1.18 (../shared/docs/pgbouncer-reference.md, Part 1b: 1.18's SHOW DATABASES
     * has {@code reserve_pool} where the newest has {@code reserve_pool_size}). An old name counts as its new one
     * when poolctl has the new name and not the old; every such case is printed.
     */
    static final Map<String, Map<String, String>> RENAMED =
            Map.of("DATABASES", Map.of("reserve_pool", "reserve_pool_size"));

    /** How poolctl says it does not have a command (yet). */
    private static final Pattern NOT_IMPLEMENTED =
            Pattern.compile("invalid command|not implemented|unknown cmd|bad show arg", Pattern.CASE_INSENSITIVE);

    private static PostgresCluster pg;
    private static PoolerFixture poolctl;
    private static RealPgBouncer pgbouncer;
    private static String pgbouncerVersion;
    private static long startNanos;
    /** A client of each pooler holding a testdb login, so POOLS/CLIENTS/SERVERS have rows on both. */
    private static Connection poolctlClient;
    private static Connection pgbouncerClient;

    private static final Map<String, String> matches = Collections.synchronizedMap(new LinkedHashMap<>());
    private static final Map<String, String> differs = Collections.synchronizedMap(new LinkedHashMap<>());
    private static final Map<String, String> poolctlLacks = Collections.synchronizedMap(new LinkedHashMap<>());
    private static final Map<String, String> pgbouncerLacks = Collections.synchronizedMap(new LinkedHashMap<>());

    /**
     * The shared test cluster ({@link PostgresClusterExtension}) for {@link #pg}, only where PgBouncer is
     * installed: where it is not, nothing is started and every case is skipped by {@link #assumePgBouncer()}
     * (in each test, dynamic ones included, so the reports count every case as skipped).
     */
    static final class RequiresPgBouncer implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            if (RealPgBouncer.binary().isPresent()) {
                pg = PostgresClusterExtension.cluster(context);
            }
        }
    }

    private static void assumePgBouncer() {
        Assumptions.assumeTrue(RealPgBouncer.binary().isPresent(), "PgBouncer is not installed (no pgbouncer on"
                + " PATH, no /usr/sbin/pgbouncer, or -D" + RealPgBouncer.BINARY_PROPERTY + " unusable): skipped");
    }

    @BeforeAll
    static void start() throws SQLException {
        startNanos = System.nanoTime();
        if (RealPgBouncer.binary().isEmpty()) {
            return; // every test is skipped (RequiresPgBouncer)
        }
        Path binary = RealPgBouncer.binary().orElseThrow();
        pgbouncerVersion = RealPgBouncer.version(binary);
        Map<String, String> same = new LinkedHashMap<>();
        same.put("admin_users", PostgresCluster.MD5_USER);
        same.put("default_pool_size", "5");
        PoolerFixture.Settings settings = PoolerFixture.settings();
        same.forEach(settings::set);
        poolctl = PoolerFixture.start(pg, settings);
        pgbouncer = RealPgBouncer.start(binary, pg, same);
        System.out.printf("[PgBouncerCompatIT] %s (%s) on 127.0.0.1:%d, pid %d; poolctl on 127.0.0.1:%d%n",
                pgbouncerVersion, binary, pgbouncer.port(), pgbouncer.pid(), poolctl.port());
        poolctlClient = poolctl.connect();
        pgbouncerClient = pgbouncer.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD);
        for (Connection c : List.of(poolctlClient, pgbouncerClient)) {
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("select 1")) {
                assertTrue(rs.next());
            }
        }
    }

    @AfterAll
    static void stop() {
        try {
            if (pgbouncerVersion != null) {
                printSummary();
            }
        } finally {
            for (AutoCloseable c : new AutoCloseable[] {poolctlClient, pgbouncerClient, pgbouncer, poolctl}) {
                if (c != null) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        System.out.println("[PgBouncerCompatIT] close: " + e);
                    }
                }
            }
            System.out.printf("[PgBouncerCompatIT] took %d ms (start to stop)%n",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos));
        }
    }

    // ------------------------------------------------------------------ the comparisons

    @TestFactory
    Stream<DynamicTest> showCommandsMatchPgBouncer() {
        return COMMANDS.stream().map(what -> DynamicTest.dynamicTest("SHOW " + what, () -> compare(what)));
    }

    private static void compare(String what) throws SQLException {
        assumePgBouncer();
        String sql = "SHOW " + what;
        Answer bouncer = ask(pgbouncer::connect, sql);
        Answer ours = ask(poolctl::connect, sql);
        if (ours.isError() && NOT_IMPLEMENTED.matcher(ours.error()).find()) {
            String why = "poolctl: " + ours.sqlState() + " " + ours.error()
                    + (bouncer.isError() ? "; PgBouncer: " + bouncer.error() : "; PgBouncer has " + bouncer.columns());
            poolctlLacks.put(what, why);
            Assumptions.abort("poolctl does not implement SHOW " + what + " yet: " + why);
        }
        if (bouncer.isError()) {
            String why = "PgBouncer (" + pgbouncerVersion + "): " + bouncer.sqlState() + " " + bouncer.error()
                    + (ours.isError() ? "; poolctl: " + ours.error() : "; poolctl has " + ours.columns());
            pgbouncerLacks.put(what, why);
            Assumptions.abort("this PgBouncer does not have SHOW " + what + ": " + why);
        }
        if (ours.isError()) {
            differs.put(what, "poolctl errs: " + ours.sqlState() + " " + ours.error());
            fail("PgBouncer answers SHOW " + what + " with " + bouncer.columns() + " but poolctl errs: "
                    + ours.sqlState() + " " + ours.error());
        }
        List<String> notes = new ArrayList<>();
        List<String> problems = new ArrayList<>();

        // (a) columns: PgBouncer's in poolctl's, same relative order (documented renames applied).
        List<String> bouncerColumns = new ArrayList<>();
        for (String name : bouncer.columns()) {
            String renamed = RENAMED.getOrDefault(what, Map.of()).get(name);
            if (renamed != null && !ours.columns().contains(name) && ours.columns().contains(renamed)) {
                notes.add("renamed since 1.18: " + name + " -> " + renamed);
                bouncerColumns.add(renamed);
            } else {
                bouncerColumns.add(name);
            }
        }
        String order = subsequenceProblem(bouncerColumns, ours.columns());
        if (order != null) {
            problems.add("columns: " + order + " (PgBouncer " + bouncer.columns() + ", poolctl " + ours.columns() + ")");
        }
        List<String> extra = new ArrayList<>(ours.columns());
        extra.removeAll(bouncerColumns);
        if (!extra.isEmpty()) {
            notes.add("poolctl's extra columns " + extra);
        }
        List<String> typeDiffs = new ArrayList<>();
        for (int i = 0; i < bouncerColumns.size(); i++) {
            int j = ours.columns().indexOf(bouncerColumns.get(i));
            if (j >= 0 && !bouncer.types().get(i).equals(ours.types().get(j))) {
                typeDiffs.add(bouncerColumns.get(i) + " " + bouncer.types().get(i) + "->" + ours.types().get(j));
            }
        }
        if (!typeDiffs.isEmpty()) {
            notes.add("types differ (info, PgBouncer->poolctl): " + typeDiffs);
        }

        // (b) row keys.
        if (ROW_KEYED.contains(what)) {
            Map<String, List<String>> bouncerRows = byKey(bouncer);
            Map<String, List<String>> ourRows = byKey(ours);
            Set<String> missing = new TreeSet<>(bouncerRows.keySet());
            missing.removeAll(ourRows.keySet());
            if (!missing.isEmpty()) {
                problems.add("row keys PgBouncer has but poolctl lacks: " + missing);
            }
            Set<String> ourExtra = new LinkedHashSet<>(ourRows.keySet());
            ourExtra.removeAll(bouncerRows.keySet());
            notes.add(bouncerRows.size() + " PgBouncer rows, " + ourRows.size() + " poolctl rows"
                    + (ourExtra.isEmpty() ? "" : "; poolctl's extra keys " + ourExtra));
            if (what.equals("CONFIG")) {
                notes.add(configDifferences(bouncer, bouncerRows, ours, ourRows));
            }
        }

        // HELP: no rows but a NOTICE.
        if (what.equals("HELP")) {
            if (!bouncer.hasResultSet() && ours.hasResultSet()) {
                problems.add("PgBouncer answers without a result set, poolctl with columns " + ours.columns());
            }
            if (bouncer.noticeMessage() == null || !bouncer.noticeMessage().equals(ours.noticeMessage())) {
                problems.add("NOTICE differs: PgBouncer '" + bouncer.noticeMessage() + "', poolctl '"
                        + ours.noticeMessage() + "'");
            }
            Set<String> bouncerWords = words(bouncer.noticeDetail());
            Set<String> ourWords = words(ours.noticeDetail());
            Set<String> missing = new TreeSet<>(bouncerWords);
            missing.removeAll(ourWords);
            if (!missing.isEmpty()) {
                problems.add("commands in PgBouncer's help but not in poolctl's: " + missing);
            }
            Set<String> more = new TreeSet<>(ourWords);
            more.removeAll(bouncerWords);
            notes.add("help words only poolctl lists: " + more);
        }

        String report = String.join("; ", notes);
        if (problems.isEmpty()) {
            matches.put(what, report);
            System.out.printf("[PgBouncerCompatIT] SHOW %-15s matches. %s%n", what, report);
        } else {
            differs.put(what, String.join("; ", problems) + (report.isEmpty() ? "" : " | " + report));
            System.out.printf("[PgBouncerCompatIT] SHOW %-15s DIFFERS: %s%n", what, differs.get(what));
            fail("SHOW " + what + " differs from " + pgbouncerVersion + ": " + String.join("; ", problems));
        }
    }

    @Test
    void unknownCommandGetsTheSameError() throws SQLException {
        assumePgBouncer();
        Answer bouncer = ask(pgbouncer::connect, "SHOW NONSENSE");
        Answer ours = ask(poolctl::connect, "SHOW NONSENSE");
        String line = String.format("PgBouncer %s %s '%s' | poolctl %s %s '%s'", bouncer.severity(), bouncer.sqlState(),
                bouncer.error(), ours.severity(), ours.sqlState(), ours.error());
        System.out.println("[PgBouncerCompatIT] SHOW NONSENSE: " + line);
        assertTrue(bouncer.isError(), "PgBouncer answers SHOW NONSENSE with an error");
        assertTrue(ours.isError(), "poolctl answers SHOW NONSENSE with an error");
        boolean same = bouncer.sqlState().equals(ours.sqlState()) && bouncer.error().equals(ours.error());
        (same ? matches : differs).put("NONSENSE (error)", line);
        assertEquals(bouncer.sqlState(), ours.sqlState(), "SQLSTATE of SHOW NONSENSE");
        assertEquals(bouncer.error(), ours.error(), "error text of SHOW NONSENSE");
    }

    // ------------------------------------------------------------------ asking

    @FunctionalInterface
    interface Connector {
        Connection connect(String db, String user, String password, String... props) throws SQLException;
    }

    /** A console answer: columns, rows, NOTICE, or error (severity, SQLSTATE, message). */
    record Answer(boolean hasResultSet, List<String> columns, List<String> types, List<List<String>> rows,
                  String severity, String sqlState, String error, String noticeMessage, String noticeDetail) {
        boolean isError() {
            return error != null;
        }
    }

    /**
     * One console query on a fresh admin connection: its columns, rows, NOTICE or error. Both consoles get the
     * same driver settings. {@code assumeMinServerVersion=9.0} makes pgjdbc send extra_float_digits and
     * application_name in the startup packet instead of running {@code SET extra_float_digits = 3} after login,
     * which PgBouncer 1.18's console refuses ("SET failed": it is not one of its settings).
     */
    private static Answer ask(Connector connector, String sql) throws SQLException {
        try (Connection c = connector.connect("pgbouncer", PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD,
                "preferQueryMode=simple", "assumeMinServerVersion=9.0"); Statement st = c.createStatement()) {
            boolean hasResultSet;
            List<String> columns = new ArrayList<>();
            List<String> types = new ArrayList<>();
            List<List<String>> rows = new ArrayList<>();
            try {
                hasResultSet = st.execute(sql);
            } catch (SQLException e) {
                ServerErrorMessage m = e instanceof PSQLException p ? p.getServerErrorMessage() : null;
                assertNotNull(m, () -> "a server error, not a driver one: " + e);
                return new Answer(false, List.of(), List.of(), List.of(), m.getSeverity(), e.getSQLState(),
                        m.getMessage(), null, null);
            }
            if (hasResultSet) {
                try (ResultSet rs = st.getResultSet()) {
                    ResultSetMetaData md = rs.getMetaData();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        columns.add(md.getColumnLabel(i));
                        types.add(md.getColumnTypeName(i));
                    }
                    while (rs.next()) {
                        List<String> row = new ArrayList<>();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            row.add(rs.getString(i));
                        }
                        rows.add(row);
                    }
                }
            }
            String noticeMessage = null;
            String noticeDetail = null;
            for (SQLWarning w = st.getWarnings(); w != null; w = w.getNextWarning()) {
                if (w instanceof PSQLWarning pw && pw.getServerErrorMessage() != null) {
                    noticeMessage = pw.getServerErrorMessage().getMessage();
                    noticeDetail = pw.getServerErrorMessage().getDetail();
                } else {
                    noticeMessage = w.getMessage();
                }
            }
            return new Answer(hasResultSet, columns, types, rows, null, null, null, noticeMessage, noticeDetail);
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Null when {@code sub} is a subsequence of {@code sup}, else what breaks it. */
    static String subsequenceProblem(List<String> sub, List<String> sup) {
        int from = 0;
        for (String name : sub) {
            int at = sup.subList(from, sup.size()).indexOf(name);
            if (at < 0) {
                return sup.contains(name) ? "'" + name + "' is out of order" : "'" + name + "' is missing";
            }
            from += at + 1;
        }
        return null;
    }

    private static Map<String, List<String>> byKey(Answer a) {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (List<String> row : a.rows()) {
            m.put(row.get(0), row);
        }
        return m;
    }

    /** Info for CONFIG: keys whose default or changeable differ (values differ by design: ports, paths). */
    private static String configDifferences(Answer bouncer, Map<String, List<String>> bouncerRows, Answer ours,
                                            Map<String, List<String>> ourRows) {
        int bDefault = bouncer.columns().indexOf("default");
        int oDefault = ours.columns().indexOf("default");
        int bChangeable = bouncer.columns().indexOf("changeable");
        int oChangeable = ours.columns().indexOf("changeable");
        List<String> defaults = new ArrayList<>();
        List<String> changeable = new ArrayList<>();
        for (Map.Entry<String, List<String>> e : bouncerRows.entrySet()) {
            List<String> our = ourRows.get(e.getKey());
            if (our == null) {
                continue;
            }
            if (bDefault >= 0 && oDefault >= 0 && !sql(e.getValue().get(bDefault)).equals(sql(our.get(oDefault)))) {
                defaults.add(e.getKey() + " " + sql(e.getValue().get(bDefault)) + "->" + sql(our.get(oDefault)));
            }
            if (bChangeable >= 0 && oChangeable >= 0
                    && !String.valueOf(e.getValue().get(bChangeable)).equals(String.valueOf(our.get(oChangeable)))) {
                changeable.add(e.getKey() + " " + e.getValue().get(bChangeable) + "->" + our.get(oChangeable));
            }
        }
        return "defaults differing (info, PgBouncer->poolctl): " + defaults + "; changeable differing: " + changeable;
    }

    /** A value as SQL would show it: NULL, or quoted. */
    private static String sql(String value) {
        return value == null ? "NULL" : "'" + value + "'";
    }

    private static final Pattern WORD = Pattern.compile("[A-Z][A-Z_]+");

    private static Set<String> words(String helpDetail) {
        Set<String> out = new TreeSet<>();
        if (helpDetail != null) {
            Matcher m = WORD.matcher(helpDetail);
            while (m.find()) {
                out.add(m.group().toUpperCase(Locale.ROOT));
            }
        }
        return out;
    }

    private static void printSummary() {
        StringBuilder b = new StringBuilder("\n[PgBouncerCompatIT] ===== poolctl vs " + pgbouncerVersion + " =====\n");
        b.append("matches (").append(matches.size()).append("):\n");
        matches.forEach((k, v) -> b.append("  ").append(k).append(v.isEmpty() ? "" : ": " + v).append('\n'));
        b.append("differs (").append(differs.size()).append("):\n");
        differs.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        b.append("poolctl lacks (skipped, ").append(poolctlLacks.size()).append("):\n");
        poolctlLacks.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        b.append("this PgBouncer lacks (skipped, ").append(pgbouncerLacks.size()).append("):\n");
        pgbouncerLacks.forEach((k, v) -> b.append("  ").append(k).append(": ").append(v).append('\n'));
        System.out.println(b);
    }
}

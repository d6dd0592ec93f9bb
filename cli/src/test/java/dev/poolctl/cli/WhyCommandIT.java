package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.MiniJson;
import dev.poolctl.cli.support.PassFiles;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RealPgBouncer;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code poolctl why} against a real poolctl and a real PgBouncer in the same state: testdb's pool of md5_user held at
 * pool_size 1 by a client inside a pg_sleep transaction, a second md5_user client waiting behind it, and a
 * cleartext_user client waiting on max_db_connections 1; then, released, testdb paused with a client waiting.
 * poolctl tells the causes (SHOW WAITS), for PgBouncer they are inferred, with the same words.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class WhyCommandIT {
    static PostgresCluster pg;

    private static final Map<String, String> LIMITS = Map.of("default_pool_size", "1", "max_db_connections", "1",
            "reserve_pool_size", "0", "admin_users", PostgresCluster.MD5_USER);

    /** A pooler under test: where it listens and how to open a client connection to it. */
    private interface Target {
        int port();

        Connection connect(String user, String password) throws SQLException;
    }

    @Test
    void poolctlTellsWhyClientsWait(@TempDir Path dir) throws Exception {
        PoolerFixture.Settings settings = PoolerFixture.settings();
        LIMITS.forEach(settings::set);
        try (PoolerFixture pooler = PoolerFixture.start(pg, settings)) {
            scenario(dir, new Target() {
                public int port() { return pooler.port(); }

                public Connection connect(String user, String password) throws SQLException {
                    return pooler.connect(PostgresCluster.TEST_DB, user, password);
                }
            }, false);
        }
    }

    @Test
    void pgBouncersCausesAreInferred(@TempDir Path dir) throws Exception {
        Optional<Path> binary = RealPgBouncer.binary();
        Assumptions.assumeTrue(binary.isPresent(), "PgBouncer is not installed");
        try (RealPgBouncer pgbouncer = RealPgBouncer.start(binary.get(), pg, LIMITS)) {
            scenario(dir, new Target() {
                public int port() { return pgbouncer.port(); }

                public Connection connect(String user, String password) throws SQLException {
                    return pgbouncer.connect(PostgresCluster.TEST_DB, user, password);
                }
            }, true);
        }
    }

    private static void scenario(Path dir, Target target, boolean inferred) throws Exception {
        Path passfile = PassFiles.write(dir.resolve("pgpass"), "*:*:pgbouncer:" + PostgresCluster.MD5_USER + ":"
                + PostgresCluster.MD5_PASSWORD + "\n");
        ExecutorService threads = Executors.newCachedThreadPool();
        List<Connection> open = new ArrayList<>();
        try {
            Connection holder = target.connect(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD);
            open.add(holder);
            holder.setAutoCommit(false);
            try (Statement st = holder.createStatement()) {
                st.execute("select pg_sleep(0.1)"); // the pool's one server, held by the open transaction
            }
            // pgjdbc runs queries while it connects: the waiting clients connect on threads of their own
            Future<?> queued = threads.submit(() -> query(open(target, open, PostgresCluster.MD5_USER,
                    PostgresCluster.MD5_PASSWORD)));
            Future<?> otherUser = threads.submit(() -> query(open(target, open, PostgresCluster.CLEARTEXT_USER,
                    PostgresCluster.CLEARTEXT_PASSWORD)));

            Map<String, Object> report = awaitCauses(target, passfile, 2);
            assertEquals(inferred, report.get("inferred"), report.toString());
            assertEquals("pool_size", cause(report, PostgresCluster.MD5_USER), report.toString());
            assertEquals("max_db_connections", cause(report, PostgresCluster.CLEARTEXT_USER), report.toString());

            Cli text = why(target, passfile, PostgresCluster.TEST_DB, PostgresCluster.MD5_USER);
            assertEquals(0, text.code(), text.toString());
            assertTrue(text.out().contains("pool_size") && text.out().contains("servers 1 of pool_size 1"), text.out());
            assertTrue(text.out().contains("inferred") == inferred, text.out());
            assertTrue(!text.out().contains(PostgresCluster.CLEARTEXT_USER), "filtered to one user:\n" + text.out());
            Cli none = why(target, passfile, "otherdb");
            assertTrue(none.out().contains("no client is waiting in otherdb"), none.out());

            holder.commit(); // the server goes back: the waiting clients are served
            queued.get(30, TimeUnit.SECONDS);
            otherUser.get(30, TimeUnit.SECONDS);
            assertEquals(List.of(), awaitCauses(target, passfile, 0).get("pools"));

            // PAUSE waits for the servers to be released, as PgBouncer's: so only now
            Cli pause = run(target, passfile, "pause", PostgresCluster.TEST_DB);
            assertEquals(0, pause.code(), pause.toString());
            Future<?> whilePaused = threads.submit(() -> query(open(target, open, PostgresCluster.CLEARTEXT_USER,
                    PostgresCluster.CLEARTEXT_PASSWORD)));
            Map<String, Object> paused = awaitCause(target, passfile, PostgresCluster.CLEARTEXT_USER, "paused");
            assertEquals("paused", cause(paused, PostgresCluster.CLEARTEXT_USER), paused.toString());
            assertEquals(0, run(target, passfile, "resume", PostgresCluster.TEST_DB).code());
            whilePaused.get(30, TimeUnit.SECONDS);
        } finally {
            for (Connection c : open) {
                c.close();
            }
            threads.shutdownNow();
        }
    }

    private static Connection open(Target target, List<Connection> open, String user, String password) {
        try {
            Connection c = target.connect(user, password);
            synchronized (open) {
                open.add(c);
            }
            return c;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Void query(Connection c) {
        try (Statement st = c.createStatement()) {
            st.execute("select 1");
            return null;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Cli run(Target target, Path passfile, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-h", "127.0.0.1", "-p", Integer.toString(target.port()), "-U", PostgresCluster.MD5_USER,
                "--passfile", passfile.toString()));
        return Cli.run(all.toArray(new String[0]));
    }

    private static Cli why(Target target, Path passfile, String... args) {
        List<String> all = new ArrayList<>(List.of("why"));
        all.addAll(List.of(args));
        return run(target, passfile, all.toArray(new String[0]));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> report(Target target, Path passfile) {
        Cli r = why(target, passfile, "--format", "json");
        assertEquals(0, r.code(), r.toString());
        return (Map<String, Object>) MiniJson.parse(r.out());
    }

    @SuppressWarnings("unchecked")
    private static String cause(Map<String, Object> report, String user) {
        for (Map<String, Object> p : (List<Map<String, Object>>) report.get("pools")) {
            if (user.equals(p.get("user"))) {
                return (String) p.get("cause");
            }
        }
        return null;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitCauses(Target target, Path passfile, int pools) {
        Map<String, Object>[] last = new Map[1];
        PoolerFixture.await(pools + " pools with waiting clients", Duration.ofSeconds(20), () -> {
            last[0] = report(target, passfile);
            return ((List<Object>) last[0].get("pools")).size() == pools;
        });
        return last[0];
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> awaitCause(Target target, Path passfile, String user, String cause) {
        Map<String, Object>[] last = new Map[1];
        PoolerFixture.await(user + "'s pool waiting with cause " + cause, Duration.ofSeconds(20), () -> {
            last[0] = report(target, passfile);
            return cause.equals(cause(last[0], user));
        });
        return last[0];
    }
}

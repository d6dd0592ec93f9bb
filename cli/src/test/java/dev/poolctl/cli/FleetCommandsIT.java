package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.MiniJson;
import dev.poolctl.cli.support.PassFiles;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RealPgBouncer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * status, show, pause, resume and reload on a fleet: two real poolctl instances and Debian's real PgBouncer (when
 * installed), plus an address where nothing listens; one poolctl is stopped mid-test. An instance that is down is
 * reported and never stops the others.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FleetCommandsIT {
    static PostgresCluster pg;

    private static Cli fleet(Path passfile, List<String> targets, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        for (String t : targets) {
            all.addAll(List.of("--target", t));
        }
        all.addAll(List.of("-U", PostgresCluster.MD5_USER, "--passfile", passfile.toString()));
        return Cli.run(all.toArray(new String[0]));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aFleetOfTwoPoolctlsAPgBouncerAndADeadAddress(@TempDir Path dir) throws Exception {
        Path passfile = PassFiles.write(dir.resolve("pgpass"), "*:*:pgbouncer:" + PostgresCluster.MD5_USER + ":"
                + PostgresCluster.MD5_PASSWORD + "\n");
        PoolerFixture.Settings settings = PoolerFixture.settings().set("admin_users", PostgresCluster.MD5_USER);
        Optional<Path> binary = RealPgBouncer.binary();
        try (PoolerFixture a = PoolerFixture.start(pg, settings); PoolerFixture b = PoolerFixture.start(pg, settings);
             RealPgBouncer pgbouncer = binary.isPresent() ? RealPgBouncer.start(binary.get(), pg,
                     Map.of("admin_users", PostgresCluster.MD5_USER)) : null) {
            String dead = "127.0.0.1:" + FreePort.find();
            List<String> targets = new ArrayList<>(List.of("127.0.0.1:" + a.port(), "127.0.0.1:" + b.port()));
            if (pgbouncer != null) {
                targets.add("127.0.0.1:" + pgbouncer.port());
            }
            int live = targets.size();
            targets.add(dead);
            for (String t : targets.subList(0, live)) { // a testdb pool on each
                try (var c = java.sql.DriverManager.getConnection("jdbc:postgresql://" + t + "/testdb",
                        PoolerFixture.jdbcProperties(PostgresCluster.MD5_USER, PostgresCluster.MD5_PASSWORD));
                     var st = c.createStatement()) {
                    st.execute("select 1");
                }
            }

            Cli status = fleet(passfile, targets, "status");
            assertEquals(3, status.code(), status.toString());
            List<String> lines = status.out().lines().toList();
            assertEquals(targets.size() + 1, lines.size(), status.out());
            assertTrue(lines.get(0).startsWith("up    127.0.0.1:" + a.port()) && lines.get(0).contains("poolctl"),
                    status.out());
            if (pgbouncer != null) {
                assertTrue(lines.get(2).startsWith("up    ") && lines.get(2).contains("PgBouncer"), status.out());
            }
            assertTrue(lines.get(live).startsWith("down  " + dead) && lines.get(live).contains("unreachable"),
                    status.out());
            assertEquals(live + " of " + targets.size() + " instances up", lines.get(targets.size()));

            Cli pools = fleet(passfile, targets, "show", "pools", "--format", "json");
            assertEquals(3, pools.code(), pools.toString());
            List<Map<String, Object>> rows = (List<Map<String, Object>>) MiniJson.parse(pools.out());
            for (String t : targets.subList(0, live)) {
                assertTrue(rows.stream().anyMatch(r -> t.equals(r.get("instance")) && "testdb".equals(r.get("database"))),
                        t + " in " + pools.out());
            }
            assertTrue(pools.err().contains(dead + ": unreachable"), pools.err());

            Cli unconfirmed = fleet(passfile, targets.subList(0, live), "pause", "testdb");
            assertEquals(2, unconfirmed.code(), unconfirmed.toString());
            assertTrue(unconfirmed.err().contains("confirm with --yes"), unconfirmed.err());
            assertFalse(paused(passfile, a), "nothing was sent without a confirmation");

            Cli pause = fleet(passfile, targets.subList(0, live), "pause", "testdb", "--yes");
            assertEquals(0, pause.code(), pause.toString());
            for (String t : targets.subList(0, live)) {
                assertTrue(pause.out().contains(t + ": PAUSE"), pause.out());
            }
            assertTrue(paused(passfile, a) && paused(passfile, b));
            Cli resume = fleet(passfile, targets, "resume", "testdb", "--yes");
            assertEquals(3, resume.code(), "the dead address fails, the others resume: " + resume);
            assertTrue(resume.out().contains("127.0.0.1:" + b.port() + ": RESUME"), resume.out());
            assertFalse(paused(passfile, a) || paused(passfile, b));

            // top --once on the fleet: the pools summed over the instances that answer, the dead one left out
            Cli once = fleet(passfile, targets, "top", "--once", "--interval", "200ms", "--format", "json");
            assertEquals(3, once.code(), "reported, but an instance is down, as status says: " + once);
            Cli allUp = fleet(passfile, targets.subList(0, live), "top", "--once", "--interval", "200ms");
            assertEquals(0, allUp.code(), allUp.toString());
            Map<String, Object> report = (Map<String, Object>) MiniJson.parse(once.out());
            Map<String, Object> testdb = ((List<Map<String, Object>>) report.get("pools")).stream()
                    .filter(p -> "testdb".equals(p.get("database"))).findFirst().orElseThrow();
            assertEquals(20 * live, ((Number) testdb.get("pool_size")).intValue(),
                    "default_pool_size 20 on each instance that answers: " + once.out());
            assertEquals("fleet of " + targets.size(), report.get("target"));
            List<Map<String, Object>> instances = (List<Map<String, Object>>) report.get("instances");
            assertEquals(targets.size(), instances.size(), once.out());
            assertEquals(Boolean.FALSE, instances.get(live).get("up"), once.out());
            assertTrue(String.valueOf(instances.get(live).get("error")).contains("onnect"), once.out());

            Path file = dir.resolve("fleet.txt");
            Files.writeString(file, "# the two poolctls\n127.0.0.1:" + a.port() + "\n127.0.0.1:" + b.port() + "\n");
            b.close(); // one instance goes away mid-run
            Cli reload = Cli.run("reload", "--targets", file.toString(), "--yes", "-U", PostgresCluster.MD5_USER,
                    "--passfile", passfile.toString());
            assertEquals(3, reload.code(), reload.toString());
            assertTrue(reload.out().contains("127.0.0.1:" + a.port() + ": RELOAD"), reload.out());
            assertTrue(reload.err().contains("127.0.0.1:" + b.port() + ": unreachable"), reload.err());

            // --peers: the -c instance and its [peers]
            Path ini = dir.resolve("peers.ini");
            Files.writeString(ini, Files.readString(a.ini()) + "\n[peers]\n1 = host=127.0.0.1 port=" + a.port()
                    + "\n2 = host=127.0.0.1 port=" + b.port() + "\n");
            Cli peers = Cli.run("status", "--peers", "-c", ini.toString(), "-U", PostgresCluster.MD5_USER,
                    "--passfile", passfile.toString());
            assertEquals(3, peers.code(), peers.toString());
            assertEquals("1 of 2 instances up", peers.out().lines().reduce((x, y) -> y).orElse(""), peers.out());
        }
    }

    @SuppressWarnings("unchecked")
    private static boolean paused(Path passfile, PoolerFixture p) {
        Cli r = Cli.run("show", "databases", "--format", "json", "-h", "127.0.0.1", "-p", Integer.toString(p.port()),
                "-U", PostgresCluster.MD5_USER, "--passfile", passfile.toString());
        assertEquals(0, r.code(), r.toString());
        return ((List<Map<String, Object>>) MiniJson.parse(r.out())).stream()
                .anyMatch(m -> "testdb".equals(m.get("name")) && Integer.valueOf(1).equals(((Number) m.get("paused")).intValue()));
    }
}

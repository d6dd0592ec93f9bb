package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.MiniJson;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.RealPgBouncer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same commands against Debian's real PgBouncer, to prove the client speaks its admin console too. Skipped
 * where PgBouncer is not installed ({@link RealPgBouncer#binary()}); nothing is installed here.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class RealPgBouncerAdminIT {
    static PostgresCluster pg;
    static RealPgBouncer pgbouncer;
    static Path passfile;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        Optional<Path> binary = RealPgBouncer.binary();
        Assumptions.assumeTrue(binary.isPresent(), "PgBouncer is not installed");
        pgbouncer = RealPgBouncer.start(binary.get(), pg, Map.of("admin_users", PostgresCluster.MD5_USER));
        passfile = dir.resolve("pgpass");
        Files.writeString(passfile, "*:*:pgbouncer:" + PostgresCluster.MD5_USER + ":" + PostgresCluster.MD5_PASSWORD
                + "\n");
        Files.setPosixFilePermissions(passfile, PosixFilePermissions.fromString("rw-------"));
        try (Connection c = pgbouncer.connect(PostgresCluster.TEST_DB, PostgresCluster.MD5_USER,
                PostgresCluster.MD5_PASSWORD); var st = c.createStatement()) {
            st.execute("select 1"); // a testdb pool for SHOW POOLS
        }
    }

    @AfterAll
    static void stop() {
        if (pgbouncer != null) {
            pgbouncer.close();
        }
    }

    static Cli ok(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("-h", pgbouncer.host(), "-p", Integer.toString(pgbouncer.port()), "-U",
                PostgresCluster.MD5_USER, "--passfile", passfile.toString()));
        Cli r = Cli.run(all.toArray(new String[0]));
        assertEquals(0, r.code(), r.describe(args) + "\n--- pgbouncer log\n" + pgbouncer.log());
        return r;
    }

    @Test
    @SuppressWarnings("unchecked")
    void showPoolsAsJson() {
        List<Map<String, Object>> rows = (List<Map<String, Object>>) MiniJson.parse(ok("show", "pools", "--format",
                "json").out());
        Map<String, Object> testdb = rows.stream().filter(m -> "testdb".equals(m.get("database"))).findFirst()
                .orElseThrow(() -> new AssertionError(rows.toString()));
        assertInstanceOf(Number.class, testdb.get("cl_active"), testdb.toString());
        assertInstanceOf(String.class, testdb.get("pool_mode"), testdb.toString());
    }

    @Test
    void pauseResumeReload() {
        assertEquals("PAUSE\n", ok("pause").out());
        assertEquals("RESUME\n", ok("resume").out());
        assertEquals("RELOAD\n", ok("reload").out());
    }

    @Test
    void status() {
        Cli r = ok("status");
        assertTrue(r.out().contains("\nversion: PgBouncer "), r.out());
    }
}

package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Cli;
import dev.poolctl.cli.support.Manifests;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import dev.poolctl.pooler.support.Processes;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator guide's docker-compose service ("Option 1: Docker"), run as a plain process: {@code poolctl start
 * --from-env} with exactly the environment of deploy/docker-compose.yml (the guide's), the database URL pointing at the test's PostgreSQL, whose role asks for
 * SCRAM as the postgres:15 image's does. psql, pgbench and pgjdbc work through it.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class ContainerEnvIT {
    private static final String DB = "hospitality_platform";

    @TempDir
    Path dir;

    private Process daemon;
    private PostgresCluster pg;

    @AfterEach
    void stop() {
        if (daemon != null) {
            daemon.destroyForcibly();
        }
        if (pg != null) {
            pg.psqlAsSuperuser("postgres", "DROP DATABASE IF EXISTS " + DB + " WITH (FORCE);\n"
                    + "DROP ROLE IF EXISTS \"user\";\n");
        }
    }

    @Test
    void theGuidesComposeEnvironmentServesPsqlPgbenchAndJdbc(PostgresCluster pg) throws Exception {
        this.pg = pg;
        // The guide's postgres service: POSTGRES_DB, POSTGRES_USER=user, POSTGRES_PASSWORD=password.
        pg.psqlAsSuperuser("postgres", "SET password_encryption = 'scram-sha-256';\n"
                + "CREATE ROLE \"user\" LOGIN PASSWORD 'password';\nCREATE DATABASE " + DB + " OWNER \"user\";\n");
        assertTrue(pg.scramSecret("user").startsWith("SCRAM-SHA-256$"));

        int port = FreePort.find();
        // deploy/docker-compose.yml's environment (KubernetesManifestsTest: the guide's), pointed at this PostgreSQL.
        List<String> lines = new ArrayList<>();
        Manifests.compose().get("services").get("pgbouncer").get("environment").forEach(e -> lines.add(e.asString()));
        Map<String, String> env = ConfigFromEnvTest.environment(lines);
        assertEquals("postgresql://user:password@postgres:5432/" + DB, env.get("DATABASE_URL"));
        env.put("DATABASE_URL", "postgresql://user:password@127.0.0.1:" + pg.port() + "/" + DB);
        // What docker's port mapping stands for: a loopback port of the test's choosing instead of 0.0.0.0:6432.
        env.put("LISTEN_ADDR", "127.0.0.1");
        env.put("LISTEN_PORT", Integer.toString(port));

        Path ini = dir.resolve("pgbouncer.ini");
        Path out = dir.resolve("stderr.txt");
        Path jar = Path.of("target", "poolctl.jar").toAbsolutePath();
        ProcessBuilder pb = new ProcessBuilder("java", "-jar", jar.toString(), "start", "--from-env", "-c",
                ini.toString()).redirectErrorStream(true).redirectOutput(out.toFile());
        pb.environment().putAll(env);
        daemon = pb.start();
        PoolerFixture.await("process up", Duration.ofSeconds(30), () -> read(out).contains("process up"));
        assertTrue(read(out).contains("from the environment: database " + DB + " -> 127.0.0.1:" + pg.port()),
                read(out));
        assertTrue(Files.readString(dir.resolve("userlist.txt")).contains("\"user\" \"password\""));

        // pgjdbc, with server-side prepared statements (the fifth execution on) in transaction mode.
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/" + DB, "user",
                "password"); PreparedStatement ps = c.prepareStatement("SELECT current_user, current_database(), ?")) {
            for (int i = 0; i < 8; i++) {
                ps.setInt(1, i);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(List.of("user", DB, Integer.toString(i)),
                            List.of(rs.getString(1), rs.getString(2), rs.getString(3)));
                }
            }
        }

        // psql
        Processes.Result psql = Processes.run(List.of(pg.binary("psql").toString(), "-X", "-At", "-h", "127.0.0.1",
                "-p", Integer.toString(port), "-U", "user", "-d", DB, "-c", "SELECT current_user || '@' || current_database()"),
                Map.of("PGPASSWORD", "password"), null, Duration.ofSeconds(30)).assertSuccess("psql");
        assertEquals("user@" + DB, psql.stdout().trim());

        // pgbench: tables made on the server itself, the load through the pooler (bounded: 3 s).
        Processes.run(List.of(pg.binary("pgbench").toString(), "-i", "-s", "1", "-q", "-h", "127.0.0.1", "-p",
                Integer.toString(pg.port()), "-U", "user", DB), Map.of("PGPASSWORD", "password"), null,
                Duration.ofSeconds(60)).assertSuccess("pgbench -i");
        Processes.Result bench = Processes.run(List.of(pg.binary("pgbench").toString(), "-n", "-c", "4", "-j", "2",
                "-T", "3", "-h", "127.0.0.1", "-p", Integer.toString(port), "-U", "user", DB),
                Map.of("PGPASSWORD", "password"), null, Duration.ofSeconds(60)).assertSuccess("pgbench");
        Matcher processed = Pattern.compile("number of transactions actually processed: (\\d+)").matcher(bench.stdout());
        assertTrue(processed.find(), bench.stdout());
        assertTrue(Long.parseLong(processed.group(1)) > 0, bench.stdout());
        assertTrue(bench.stdout().contains("number of failed transactions: 0 "), bench.stdout());

        // The image's HEALTHCHECK: up without a password.
        Cli ping = Cli.run("status", "--ping", "-h", "127.0.0.1", "-p", Integer.toString(port));
        assertEquals(ExitCodes.OK, ping.code(), ping.toString());
        assertTrue(ping.out().contains("answers: asks for a password"), ping.out());

        // docker stop sends SIGTERM: with no client left, the pooler exits 0.
        daemon.destroy();
        assertTrue(daemon.waitFor(30, TimeUnit.SECONDS), read(out));
        assertEquals(0, daemon.exitValue(), read(out));
        Cli down = Cli.run("status", "--ping", "-h", "127.0.0.1", "-p", Integer.toString(port), "--connect-timeout",
                "2");
        assertEquals(ExitCodes.UNREACHABLE, down.code(), down.toString());
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

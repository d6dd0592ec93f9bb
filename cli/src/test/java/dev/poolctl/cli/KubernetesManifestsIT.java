package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Manifests;
import dev.poolctl.pooler.support.FreePort;
import dev.poolctl.pooler.support.PoolerFixture;
import dev.poolctl.pooler.support.PostgresCluster;
import dev.poolctl.pooler.support.PostgresClusterExtension;
import io.fabric8.kubernetes.api.model.Container;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/kubernetes as a pod would run it, without Kubernetes: the ConfigMap's ini and the Secret's userlist (the
 * paths of the volumes mapped to a temp directory, the ports to free loopback ones, [databases] to the test's
 * PostgreSQL), the container's args through the launcher; the probes' paths answer; the preStop command, with the
 * Deployment's PGPASSWORD from the Secret, drains the pooler while a client is in a transaction: /readyz turns 503,
 * the transaction ends, the client is sent away with 57P01, the hook and the pooler exit 0.
 */
@ExtendWith(PostgresClusterExtension.class)
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class KubernetesManifestsIT {
    @TempDir
    Path dir;

    private final List<Process> started = new ArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @AfterEach
    void stop() {
        started.forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    @Test
    void thePodStartsAnswersItsProbesAndThePreStopHookDrainsIt(PostgresCluster pg) throws Exception {
        int port = FreePort.find();
        int httpPort = FreePort.find();
        String ini = Manifests.configMap().getData().get("pgbouncer.ini")
                .replace("/etc/poolctl/", dir + "/")
                .replace("/var/run/poolctl", dir.toString())
                .replace("listen_addr = *", "listen_addr = 127.0.0.1")
                .replace("listen_port = 6432", "listen_port = " + port)
                .replace("http_listen_port = 9127", "http_listen_port = " + httpPort)
                .replaceAll("(?m)^app = .*$", "app = host=127.0.0.1 port=" + pg.port() + " dbname="
                        + PostgresCluster.TEST_DB);
        assertTrue(ini.contains("listen_port = " + port) && ini.contains("http_listen_port = " + httpPort), ini);
        Path iniFile = dir.resolve("pgbouncer.ini");
        Files.writeString(iniFile, ini);
        var secret = Manifests.secret().getStringData();
        Files.writeString(dir.resolve("userlist.txt"), secret.get("userlist.txt") + "\"" + PostgresCluster.SCRAM_USER
                + "\" \"" + PostgresCluster.SCRAM_PASSWORD + "\"\n");

        Container c = Manifests.container();
        String launcher = Path.of("..", "scripts", "poolctl").toAbsolutePath().normalize().toString();
        Path podLog = dir.resolve("pod.log");
        Process pod = start(command(launcher, c.getArgs(), iniFile), podLog, null);
        PoolerFixture.await("process up", Duration.ofSeconds(30), () -> read(podLog).contains("process up"));

        assertEquals(200, get(httpPort, c.getLivenessProbe().getHttpGet().getPath()).statusCode());
        assertEquals(200, get(httpPort, c.getReadinessProbe().getHttpGet().getPath()).statusCode());
        assertTrue(get(httpPort, "/metrics").body().contains("\npgbouncer_up 1\n"));

        try (Connection client = DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/app",
                PostgresCluster.SCRAM_USER, PostgresCluster.SCRAM_PASSWORD); Statement s = client.createStatement()) {
            client.setAutoCommit(false);
            s.execute("SELECT 1");

            String password = secret.get(c.getEnv().get(0).getValueFrom().getSecretKeyRef().getKey());
            Path hookLog = dir.resolve("prestop.log");
            List<String> hookArgs = c.getLifecycle().getPreStop().getExec().getCommand();
            Process hook = start(command(launcher, hookArgs.subList(1, hookArgs.size()), iniFile), hookLog,
                    password);
            PoolerFixture.await("/readyz 503 draining", Duration.ofSeconds(30), () -> {
                HttpResponse<String> r = get(httpPort, "/readyz");
                return r.statusCode() == 503 && r.body().contains("draining");
            });
            assertTrue(hook.isAlive(), "the hook waits while a transaction is open: " + read(hookLog));

            client.commit();
            // At its transaction boundary the client is sent away (FATAL 57P01, drain_message), so that it
            // reconnects through the Service to another pod.
            SQLException gone = assertThrows(SQLException.class, () -> s.execute("SELECT 1"));
            assertTrue("57P01".equals(gone.getSQLState()) || String.valueOf(gone.getSQLState()).startsWith("08"),
                    gone.getSQLState() + " " + gone.getMessage());
            assertTrue(hook.waitFor(60, TimeUnit.SECONDS), read(hookLog));
            assertEquals(0, hook.exitValue(), read(hookLog));
            assertTrue(read(hookLog).contains("drained"), read(hookLog));
            assertTrue(read(hookLog).contains("accepting new clients for 5s more (drain_accept_grace)"),
                    "the ConfigMap's grace, as the hook says: " + read(hookLog));
        }
        assertTrue(pod.waitFor(20, TimeUnit.SECONDS), read(podLog));
        assertEquals(0, pod.exitValue(), read(podLog));
    }

    /** The pod's command with the launcher of this checkout and the ini's path mapped as the volumes were. */
    private static List<String> command(String launcher, List<String> args, Path ini) {
        List<String> cmd = new ArrayList<>(List.of("bash", launcher));
        args.forEach(a -> cmd.add(a.equals("/etc/poolctl/pgbouncer.ini") ? ini.toString() : a));
        return cmd;
    }

    private Process start(List<String> cmd, Path log, String pgpassword) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        if (pgpassword != null) {
            pb.environment().put("PGPASSWORD", pgpassword);
        }
        Process p = pb.start();
        started.add(p);
        return p;
    }

    private HttpResponse<String> get(int port, String path) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("GET " + path + ": " + e, e);
        }
    }

    private static String read(Path file) {
        try {
            return Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : "";
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}

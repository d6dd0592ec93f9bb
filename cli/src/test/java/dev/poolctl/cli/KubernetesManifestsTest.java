package dev.poolctl.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.poolctl.cli.support.Manifests;
import dev.poolctl.pooler.auth.Secret;
import dev.poolctl.pooler.auth.Userlist;
import dev.poolctl.pooler.config.EnvConfig;
import dev.poolctl.pooler.config.GeneralSettings;
import dev.poolctl.pooler.config.IniLoader;
import dev.poolctl.pooler.config.Setting;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeProjection;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/**
 * deploy/kubernetes read into fabric8's typed Kubernetes model and checked against what poolctl serves: the ports
 * and probe paths of the ConfigMap's ini, a preStop hook that is a poolctl drain ending before the grace period, the
 * files the volumes provide; and deploy/docker-compose.yml is the guide's with the image swapped.
 * (KubernetesManifestsIT runs them.)
 */
class KubernetesManifestsTest {
    @TempDir
    Path dir;

    @Test
    void everyManifestIsReadWithoutAFieldTheModelDoesNotKnow() throws Exception {
        List<Object> all = List.of(Manifests.deployment(), Manifests.configMap(), Manifests.secret(),
                Manifests.service(), Manifests.podDisruptionBudget());
        for (Object manifest : all) {
            List<String> unknown = new ArrayList<>();
            unknownFields(manifest, manifest.getClass().getSimpleName(), unknown);
            assertEquals(List.of(), unknown, "a field the model does not know (misspelt?)");
        }
    }

    @Test
    void thePortsAndProbesAreWhatTheConfigMapsIniServes() throws Exception {
        GeneralSettings ini = ini();
        Container c = Manifests.container();
        assertEquals(ini.listenPort(), port(c, "postgres"));
        int http = ini.intValue(Setting.HTTP_LISTEN_PORT);
        assertEquals(http, port(c, "metrics"));
        assertEquals("*", ini.raw(Setting.HTTP_LISTEN_ADDR), "the kubelet probes the pod's address, not 127.0.0.1");
        assertEquals(List.of("*"), ini.listenAddr());
        assertProbe(c.getReadinessProbe().getHttpGet(), "/readyz");
        assertProbe(c.getLivenessProbe().getHttpGet(), "/healthz");
        Map<String, String> annotations = Manifests.deployment().getSpec().getTemplate().getMetadata().getAnnotations();
        assertEquals("true", annotations.get("prometheus.io/scrape"));
        assertEquals(Integer.toString(http), annotations.get("prometheus.io/port"));
        assertEquals("/metrics", annotations.get("prometheus.io/path"));
    }

    @Test
    void theServiceThePdbAndTheDeploymentSelectThePods() {
        Deployment d = Manifests.deployment();
        Map<String, String> labels = d.getSpec().getTemplate().getMetadata().getLabels();
        assertTrue(labels.entrySet().containsAll(d.getSpec().getSelector().getMatchLabels().entrySet()));
        assertTrue(labels.entrySet().containsAll(Manifests.service().getSpec().getSelector().entrySet()));
        assertTrue(labels.entrySet().containsAll(
                Manifests.podDisruptionBudget().getSpec().getSelector().getMatchLabels().entrySet()));
        assertTrue(d.getSpec().getReplicas() > Manifests.podDisruptionBudget().getSpec().getMinAvailable().getIntVal(),
                "the budget lets one pod go at a time");
        Container c = Manifests.container();
        Manifests.service().getSpec().getPorts().forEach(p -> port(c, p.getTargetPort().getStrVal()));
    }

    @Test
    void thePreStopHookIsAPoolctlDrainThatEndsBeforeTheGracePeriod() throws Exception {
        Deployment d = Manifests.deployment();
        Container c = Manifests.container();
        List<String> hook = c.getLifecycle().getPreStop().getExec().getCommand();
        assertEquals("/opt/poolctl/scripts/poolctl", hook.get(0));
        String dockerfile = Files.readString(Manifests.DOCKERFILE);
        assertTrue(dockerfile.contains("COPY --from=build /src/scripts/poolctl /opt/poolctl/scripts/poolctl"),
                "the image has the launcher where the hook runs it");
        assertTrue(dockerfile.contains("ENTRYPOINT [\"/opt/poolctl/scripts/poolctl\"]"));

        CommandLine.ParseResult drain = new CommandLine(new Poolctl()).parseArgs(
                hook.subList(1, hook.size()).toArray(String[]::new));
        assertEquals("drain", drain.subcommand().commandSpec().name());
        Duration deadline = drain.subcommand().matchedOptionValue("--deadline", Duration.ZERO);
        long grace = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
        assertTrue(deadline.getSeconds() > 0 && deadline.getSeconds() + 15 <= grace,
                "deadline " + deadline + " and a JVM's start fit in the grace period of " + grace + " s");
        assertTrue(ini().durationValue(Setting.DRAIN_TIMEOUT).compareTo(deadline) <= 0,
                "a SIGTERM drain (drain_on_sigterm) ends within the hook's deadline too");
        assertTrue(ini().boolValue(Setting.DRAIN_ON_SIGTERM));
        Duration acceptGrace = ini().durationValue(Setting.DRAIN_ACCEPT_GRACE);
        assertTrue(!acceptGrace.isZero() && acceptGrace.compareTo(deadline) < 0,
                "the port stays open while the endpoint's removal spreads, and closes within the deadline: "
                        + acceptGrace);

        CommandLine.ParseResult start = new CommandLine(new Poolctl()).parseArgs(c.getArgs().toArray(String[]::new));
        assertEquals("start", start.subcommand().commandSpec().name());
        String iniPath = start.subcommand().matchedOptionValue("-c", Path.of("")).toString();
        assertEquals(iniPath, drain.subcommand().matchedOptionValue("-c", Path.of("")).toString());
        assertEquals("pgbouncer.ini", mountedFrom(c, iniPath));
        assertTrue(Manifests.configMap().getData().containsKey("pgbouncer.ini"));
    }

    @Test
    void theSecretHoldsTheAuthFileAndTheAdminPasswordTheHookLogsInWith() throws Exception {
        GeneralSettings ini = ini();
        Container c = Manifests.container();
        assertEquals("userlist.txt", mountedFrom(c, ini.authFile()));
        Map<String, String> secret = Manifests.secret().getStringData();
        Userlist users = Userlist.parse(secret.get("userlist.txt"));
        EnvVar pgpassword = c.getEnv().stream().filter(e -> e.getName().equals("PGPASSWORD")).findFirst().orElseThrow();
        assertEquals(Manifests.secret().getMetadata().getName(), pgpassword.getValueFrom().getSecretKeyRef().getName());
        String adminPassword = secret.get(pgpassword.getValueFrom().getSecretKeyRef().getKey());
        assertNotNull(adminPassword);
        String admin = ini.listValue(Setting.ADMIN_USERS).get(0);
        Secret stored = users.secret(admin).orElseThrow();
        assertTrue(stored instanceof Secret.Plain p && p.password().equals(adminPassword),
                "the admin's entry is the password the hook sends");
    }

    @Test
    void theImageUserIsThePodsUser() throws Exception {
        PodSpec pod = Manifests.deployment().getSpec().getTemplate().getSpec();
        String dockerfile = Files.readString(Manifests.DOCKERFILE);
        long uid = pod.getSecurityContext().getRunAsUser();
        assertTrue(dockerfile.contains("--uid " + uid) && dockerfile.contains("\nUSER " + uid + "\n"), dockerfile);
        assertTrue(Manifests.container().getSecurityContext().getReadOnlyRootFilesystem());
        // With a read-only root, everything the pooler and the JVM write is a volume.
        String socketDir = ini().unixSocketDir();
        assertTrue(Manifests.container().getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals(socketDir)));
        assertTrue(Manifests.container().getVolumeMounts().stream().anyMatch(m -> m.getMountPath().equals("/tmp")));
    }

    @Test
    void theImagesCommandAndHealthCheckArePoolctlCommandLines() throws Exception {
        String dockerfile = Files.readString(Manifests.DOCKERFILE);
        List<String> cmd = jsonArray(dockerfile, "\nCMD ");
        CommandLine.ParseResult start = new CommandLine(new Poolctl()).parseArgs(cmd.toArray(String[]::new));
        assertEquals("start", start.subcommand().commandSpec().name());
        assertTrue(start.subcommand().hasMatchedOption("--from-env"));
        Path ini = start.subcommand().matchedOptionValue("-c", Path.of(""));
        List<String> check = jsonArray(dockerfile, "CMD [\"/opt/poolctl/scripts/poolctl\", \"status\"");
        assertEquals("/opt/poolctl/scripts/poolctl", check.get(0));
        CommandLine.ParseResult ping = new CommandLine(new Poolctl()).parseArgs(
                check.subList(1, check.size()).toArray(String[]::new));
        assertEquals("status", ping.subcommand().commandSpec().name());
        assertTrue(ping.subcommand().hasMatchedOption("--ping"), "a health check without a password");
        assertEquals(ini, ping.subcommand().matchedOptionValue("-c", Path.of("")), "it asks the pooler CMD starts");
        String port = EnvConfig.read(Map.of("DB_HOST", "db"), "userlist.txt", true).settings().get(Setting.LISTEN_PORT);
        assertTrue(dockerfile.contains("\nEXPOSE " + port + "\n"), "the port the environment's config listens on");
    }

    /** The JSON array (exec form) that follows {@code marker} in the Dockerfile. */
    private static List<String> jsonArray(String dockerfile, String marker) {
        int at = dockerfile.indexOf(marker);
        assertTrue(at >= 0, marker);
        int open = dockerfile.indexOf('[', at);
        String array = dockerfile.substring(open + 1, dockerfile.indexOf(']', open));
        List<String> items = new ArrayList<>();
        for (String item : array.split(",")) {
            items.add(item.trim().replaceAll("^\"|\"$", ""));
        }
        return items;
    }

    @Test
    void theComposeFileIsTheGuidesWithTheImageSwapped() {
        JsonNode services = Manifests.compose().get("services");
        JsonNode pooler = services.get("pgbouncer");
        assertEquals("poolctl:latest", pooler.get("image").asString());
        List<String> env = new ArrayList<>();
        pooler.get("environment").forEach(e -> env.add(e.asString()));
        assertEquals(ConfigFromEnvTest.GUIDE_LINES, env);
        assertEquals("6432:6432", pooler.get("ports").get(0).asString());
        assertEquals("postgres:15", services.get("postgres").get("image").asString());
    }

    private GeneralSettings ini() throws Exception {
        Path file = dir.resolve("pgbouncer.ini");
        Files.writeString(file, Manifests.configMap().getData().get("pgbouncer.ini"));
        IniLoader.LoadResult r = IniLoader.load(file);
        assertEquals(List.of(), r.warnings());
        return r.config().general();
    }

    private static int port(Container c, String name) {
        return c.getPorts().stream().filter(p -> name.equals(p.getName())).map(ContainerPort::getContainerPort)
                .findFirst().orElseThrow(() -> new AssertionError("no container port named " + name));
    }

    private static void assertProbe(HTTPGetAction get, String path) {
        assertEquals(path, get.getPath());
        assertEquals("metrics", get.getPort().getStrVal());
    }

    /** The ConfigMap or Secret key that the container sees at {@code path} (through a projected volume). */
    private static String mountedFrom(Container c, String path) {
        PodSpec pod = Manifests.deployment().getSpec().getTemplate().getSpec();
        for (VolumeMount m : c.getVolumeMounts()) {
            if (!path.startsWith(m.getMountPath() + "/")) {
                continue;
            }
            String rest = path.substring(m.getMountPath().length() + 1);
            var volume = pod.getVolumes().stream().filter(v -> v.getName().equals(m.getName())).findFirst()
                    .orElseThrow();
            for (VolumeProjection p : volume.getProjected().getSources()) {
                var items = p.getConfigMap() != null ? p.getConfigMap().getItems() : p.getSecret().getItems();
                for (var item : items) {
                    if (item.getPath().equals(rest)) {
                        return item.getKey();
                    }
                }
            }
        }
        throw new AssertionError("no volume provides " + path);
    }

    /** Fields the typed model did not know land in additionalProperties: collects their paths. */
    private static void unknownFields(Object o, String path, List<String> found) throws Exception {
        if (o instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", found);
            }
            return;
        }
        if (o == null || !o.getClass().getPackageName().startsWith("io.fabric8")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || !m.getName().startsWith("get") || m.getName().equals("getClass")) {
                continue;
            }
            Object v = m.invoke(o);
            if (m.getName().equals("getAdditionalProperties")) {
                if (v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                    found.add(path + ": " + extra.keySet());
                }
            } else {
                unknownFields(v, path + "." + m.getName().substring(3), found);
            }
        }
    }
}

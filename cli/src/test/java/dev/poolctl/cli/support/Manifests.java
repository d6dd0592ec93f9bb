package dev.poolctl.cli.support;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The files of deploy/: the Kubernetes manifests in fabric8's typed model, docker-compose.yml as a tree. */
public final class Manifests {
    public static final Path DEPLOY = Path.of("..", "deploy").toAbsolutePath().normalize();
    public static final Path KUBERNETES = DEPLOY.resolve("kubernetes");
    public static final Path DOCKERFILE = DEPLOY.resolveSibling("Dockerfile");
    private static final YAMLMapper YAML = YAMLMapper.builder().build();

    private Manifests() {}

    public static <T> T read(String file, Class<T> type) {
        return YAML.readValue(KUBERNETES.resolve(file).toFile(), type);
    }

    public static Deployment deployment() {
        return read("deployment.yaml", Deployment.class);
    }

    public static Container container() {
        return deployment().getSpec().getTemplate().getSpec().getContainers().get(0);
    }

    public static ConfigMap configMap() {
        return read("configmap.yaml", ConfigMap.class);
    }

    public static Secret secret() {
        return read("secret.yaml", Secret.class);
    }

    public static Service service() {
        return read("service.yaml", Service.class);
    }

    public static PodDisruptionBudget podDisruptionBudget() {
        return read("poddisruptionbudget.yaml", PodDisruptionBudget.class);
    }

    public static JsonNode compose() {
        return YAML.readTree(DEPLOY.resolve("docker-compose.yml").toFile());
    }
}

package org.mmgpt.deploy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBehavior;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A rendered kustomization, each resource parsed into its model class: fabric8's for Kubernetes'
 * own kinds, Strimzi's for Kafka, KafkaNodePool and KafkaTopic, and the records below for KEDA's
 * ScaledObject (KEDA publishes no Java model). A resource whose apiVersion and kind have no class
 * here, a field the class does not know, or a value of the wrong type is an error.
 */
final class Manifests {

    static final Path DEPLOY = Path.of("").toAbsolutePath();
    static final Path REPO = DEPLOY.getParent();

    /** apiVersion + kind → class. */
    private static final Map<String, Class<?>> CLASSES = Map.ofEntries(
            Map.entry("v1/Namespace", Namespace.class),
            Map.entry("v1/ConfigMap", ConfigMap.class),
            Map.entry("v1/Secret", Secret.class),
            Map.entry("v1/PersistentVolumeClaim", PersistentVolumeClaim.class),
            Map.entry("v1/Service", Service.class),
            Map.entry("apps/v1/Deployment", Deployment.class),
            Map.entry("networking.k8s.io/v1/Ingress", Ingress.class),
            Map.entry("networking.k8s.io/v1/NetworkPolicy", NetworkPolicy.class),
            Map.entry("policy/v1/PodDisruptionBudget", PodDisruptionBudget.class),
            Map.entry("autoscaling/v2/HorizontalPodAutoscaler", HorizontalPodAutoscaler.class),
            Map.entry("kafka.strimzi.io/v1/Kafka", Kafka.class),
            Map.entry("kafka.strimzi.io/v1/KafkaNodePool", KafkaNodePool.class),
            Map.entry("kafka.strimzi.io/v1/KafkaTopic", KafkaTopic.class),
            Map.entry("keda.sh/v1alpha1/ScaledObject", ScaledObject.class));

    private static final KubernetesSerialization K8S = new KubernetesSerialization();
    /** KEDA's records: any field they do not declare is an error. */
    private static final ObjectMapper STRICT = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .build();

    final String name;
    final List<ObjectNode> raw;
    final List<Object> parsed;

    private Manifests(String name, List<ObjectNode> raw) {
        this.name = name;
        this.raw = raw;
        this.parsed = new ArrayList<>();
        for (ObjectNode r : raw) {
            parsed.add(parse(r));
        }
    }

    /** deploy/base, deploy/overlays/dev, ... rendered and parsed. */
    static Manifests of(String kustomization) {
        return new Manifests(kustomization, Kustomize.build(DEPLOY.resolve(kustomization)));
    }

    static Object parse(ObjectNode r) {
        String key = r.path("apiVersion").asText() + "/" + r.path("kind").asText();
        Class<?> type = CLASSES.get(key);
        if (type == null) {
            throw new IllegalArgumentException(Kustomize.id(r) + ": no model class for " + key);
        }
        Object value;
        try {
            value = type == ScaledObject.class ? STRICT.treeToValue(r, type) : K8S.convertValue(r, type);
        } catch (Exception e) {
            throw new IllegalArgumentException(Kustomize.id(r) + " does not parse as " + type.getName() + ": " + e.getMessage(), e);
        }
        List<String> unknown = new ArrayList<>();
        unknownFields(value, Kustomize.id(r), unknown, new IdentityHashMap<>());
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("fields " + type.getSimpleName() + " does not know: " + unknown);
        }
        return value;
    }

    /**
     * The fabric8 and Strimzi classes keep fields they do not declare in additionalProperties rather
     * than failing: a misspelt field would pass unnoticed. This walks the parsed object and lists them.
     */
    private static void unknownFields(Object o, String path, List<String> out, Map<Object, Boolean> seen) {
        if (o == null || seen.put(o, true) != null) {
            return;
        }
        if (o instanceof Map<?, ?> m) {
            m.forEach((k, v) -> unknownFields(v, path + "." + k, out, seen));
            return;
        }
        if (o instanceof List<?> l) {
            for (int i = 0; i < l.size(); i++) {
                unknownFields(l.get(i), path + "[" + i + "]", out, seen);
            }
            return;
        }
        String pkg = o.getClass().getPackageName();
        if (!pkg.startsWith("io.fabric8.kubernetes.api.model") && !pkg.startsWith("io.strimzi.api")
                && !pkg.startsWith("org.mmgpt.deploy")) {
            return;
        }
        for (Method m : o.getClass().getMethods()) {
            if (m.getParameterCount() != 0 || Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() == Object.class
                    || !(m.getName().startsWith("get") || m.getName().startsWith("is") || o instanceof Record)) {
                continue;
            }
            Object v;
            try {
                v = m.invoke(o);
            } catch (ReflectiveOperationException | RuntimeException e) {
                continue;
            }
            if (m.getName().equals("getAdditionalProperties") && v instanceof Map<?, ?> extra && !extra.isEmpty()) {
                out.add(path + ": " + extra.keySet());
            } else if (!m.getName().equals("getAdditionalProperties") && !Set.of("hashCode", "toString", "getClass").contains(m.getName())) {
                unknownFields(v, path + "." + m.getName().replaceFirst("^(get|is)", ""), out, seen);
            }
        }
    }

    <T> List<T> all(Class<T> type) {
        return parsed.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T> List<T> all(Class<T> type, Predicate<T> which) {
        return all(type).stream().filter(which).toList();
    }

    <T extends HasMetadata> T named(Class<T> type, String name) {
        return all(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(this.name + " has no " + type.getSimpleName() + " " + name));
    }

    List<ScaledObject> scaledObjects() {
        return all(ScaledObject.class);
    }

    /** The raw YAML tree of a resource, for what the models hide (map values' YAML types, say). */
    ObjectNode rawOf(String kind, String name) {
        return raw.stream().filter(r -> r.path("kind").asText().equals(kind) && r.path("metadata").path("name").asText().equals(name))
                .findFirst().orElseThrow(() -> new AssertionError(this.name + " has no " + kind + " " + name));
    }

    static Container container(Deployment d) {
        List<Container> containers = d.getSpec().getTemplate().getSpec().getContainers();
        if (containers.size() != 1) {
            throw new AssertionError(d.getMetadata().getName() + " should run one container, runs " + containers.size());
        }
        return containers.get(0);
    }

    /** KEDA's ScaledObject (keda.sh/v1alpha1), the fields of KEDA 2.12+ that deploy/ may use. */
    record ScaledObject(String apiVersion, String kind, ObjectMeta metadata, Spec spec) {
        record Spec(ScaleTargetRef scaleTargetRef, Integer pollingInterval, Integer cooldownPeriod, Integer initialCooldownPeriod,
                Integer idleReplicaCount, Integer minReplicaCount, Integer maxReplicaCount, Fallback fallback, Advanced advanced,
                List<Trigger> triggers) {
        }

        record ScaleTargetRef(String apiVersion, String kind, String name, String envSourceContainerName) {
        }

        record Fallback(int failureThreshold, int replicas, String behavior) {
        }

        record Advanced(Boolean restoreToOriginalReplicaCount, HpaConfig horizontalPodAutoscalerConfig) {
        }

        record HpaConfig(String name, HorizontalPodAutoscalerBehavior behavior) {
        }

        /** metadata stays a tree: KEDA takes only strings there, and the test checks that. */
        record Trigger(String type, String name, String metricType, Boolean useCachedMetrics, JsonNode metadata,
                AuthenticationRef authenticationRef) {
        }

        record AuthenticationRef(String name, String kind) {
        }
    }
}

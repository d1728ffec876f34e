package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressBackend;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every kustomization renders, every resource parses into its model class, and what refers to something finds it. */
class ManifestsTest {

    /** Secrets the cluster's operator creates by hand (deploy/README.md says how); dev brings its own. */
    static final Set<String> EXTERNAL_SECRETS = Set.of("mmgpt-api-keys");

    static Stream<String> kustomizations() {
        return Stream.of("base", "overlays/dev", "overlays/gpu");
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyResourceParsesIntoItsModelClassWithNoUnknownField(String k) {
        Manifests m = Manifests.of(k);
        assertEquals(m.raw.size(), m.parsed.size());
        assertEquals(4, m.all(Deployment.class).size(), "gateway and three workers");
        assertEquals(1, m.all(Kafka.class).size());
        assertFalse(m.all(KafkaTopic.class).isEmpty());
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void mapsThatTakeOnlyStringsHoldStrings(String k) {
        // YAML reads 8080, true and 1.0 as numbers and booleans; the API server refuses them in these maps
        List<String> wrong = new ArrayList<>();
        for (ObjectNode r : Manifests.of(k).raw) {
            strings(r.path("metadata").path("labels"), Kustomize.id(r) + " labels", wrong);
            strings(r.path("metadata").path("annotations"), Kustomize.id(r) + " annotations", wrong);
            strings(r.path("data"), Kustomize.id(r) + " data", wrong);
            strings(r.path("stringData"), Kustomize.id(r) + " stringData", wrong);
            JsonNode pod = r.path("spec").path("template");
            strings(pod.path("metadata").path("labels"), Kustomize.id(r) + " pod labels", wrong);
            strings(pod.path("metadata").path("annotations"), Kustomize.id(r) + " pod annotations", wrong);
            strings(pod.path("spec").path("nodeSelector"), Kustomize.id(r) + " nodeSelector", wrong);
            for (JsonNode c : pod.path("spec").path("containers")) {
                for (JsonNode env : c.path("env")) {
                    if (env.has("value") && !env.get("value").isTextual()) {
                        wrong.add(Kustomize.id(r) + " env " + env.path("name").asText());
                    }
                }
            }
            for (JsonNode trigger : r.path("spec").path("triggers")) {
                strings(trigger.path("metadata"), Kustomize.id(r) + " trigger metadata", wrong);
            }
        }
        assertEquals(List.of(), wrong, "values that are not strings");
    }

    private static void strings(JsonNode map, String where, List<String> wrong) {
        map.properties().forEach(e -> {
            if (!e.getValue().isTextual()) {
                wrong.add(where + "." + e.getKey() + " = " + e.getValue());
            }
        });
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everythingIsInTheNamespaceAndLabelledAsPartOfTheSystem(String k) {
        Manifests m = Manifests.of(k);
        for (Object o : m.parsed) {
            HasMetadata r = o instanceof HasMetadata h ? h : null;
            if (r == null) {
                Manifests.ScaledObject so = (Manifests.ScaledObject) o;
                assertEquals("mmgpt", so.metadata().getNamespace(), "ScaledObject " + so.metadata().getName());
                assertEquals("mmgpt", so.metadata().getLabels().get("app.kubernetes.io/part-of"));
                continue;
            }
            String what = r.getKind() + " " + r.getMetadata().getName();
            assertEquals("mmgpt", r.getMetadata().getLabels().get("app.kubernetes.io/part-of"), what);
            if (!r.getKind().equals("Namespace")) {
                assertEquals("mmgpt", r.getMetadata().getNamespace(), what);
            }
        }
        for (Deployment d : m.all(Deployment.class)) {
            Map<String, String> pod = d.getSpec().getTemplate().getMetadata().getLabels();
            assertEquals("mmgpt", pod.get("app.kubernetes.io/part-of"), "pods of " + d.getMetadata().getName());
            assertTrue(selects(d.getSpec().getSelector(), pod), "the selector of " + d.getMetadata().getName() + " selects its pods");
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void whatIsReferredToExists(String k) throws IOException {
        Manifests m = Manifests.of(k);
        for (Deployment d : m.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            Container c = Manifests.container(d);
            for (EnvFromSource from : c.getEnvFrom()) {
                assertNotNull(from.getConfigMapRef(), name + ": envFrom only from ConfigMaps");
                m.named(ConfigMap.class, from.getConfigMapRef().getName());
            }
            for (EnvVar env : c.getEnv()) {
                if (env.getValueFrom() == null) {
                    continue;
                }
                var secretRef = env.getValueFrom().getSecretKeyRef();
                var configRef = env.getValueFrom().getConfigMapKeyRef();
                if (configRef != null) {
                    assertTrue(m.named(ConfigMap.class, configRef.getName()).getData().containsKey(configRef.getKey()), name + " " + env.getName());
                } else if (secretRef != null) {
                    List<Secret> secrets = m.all(Secret.class, s -> s.getMetadata().getName().equals(secretRef.getName()));
                    if (secrets.isEmpty()) {
                        assertTrue(EXTERNAL_SECRETS.contains(secretRef.getName()), name + " refers to Secret " + secretRef.getName());
                        assertTrue(Files.readString(Manifests.DEPLOY.resolve("README.md")).contains(secretRef.getName()),
                                "deploy/README.md says how to create the Secret " + secretRef.getName());
                    } else {
                        Secret s = secrets.get(0);
                        boolean has = s.getStringData() != null && s.getStringData().containsKey(secretRef.getKey())
                                || s.getData() != null && s.getData().containsKey(secretRef.getKey());
                        assertTrue(has, "Secret " + s.getMetadata().getName() + " has the key " + secretRef.getKey());
                    }
                } else {
                    throw new AssertionError(name + " " + env.getName() + ": an unexpected valueFrom");
                }
            }
            for (Volume v : d.getSpec().getTemplate().getSpec().getVolumes()) {
                if (v.getPersistentVolumeClaim() != null) {
                    m.named(PersistentVolumeClaim.class, v.getPersistentVolumeClaim().getClaimName());
                } else {
                    assertNotNull(v.getEmptyDir(), name + " volume " + v.getName() + ": a claim or an emptyDir");
                }
            }
            for (var mount : c.getVolumeMounts()) {
                assertTrue(d.getSpec().getTemplate().getSpec().getVolumes().stream().anyMatch(v -> v.getName().equals(mount.getName())),
                        name + " mounts " + mount.getName());
            }
        }
        for (Service s : m.all(Service.class)) {
            List<Deployment> backs = m.all(Deployment.class, d -> selects(s.getSpec().getSelector(), d.getSpec().getTemplate().getMetadata().getLabels()));
            assertEquals(1, backs.size(), "Service " + s.getMetadata().getName() + " selects the pods of one Deployment");
            for (ServicePort p : s.getSpec().getPorts()) {
                assertTrue(Manifests.container(backs.get(0)).getPorts().stream()
                        .anyMatch(cp -> cp.getName().equals(p.getTargetPort().getStrVal())), "target port " + p.getTargetPort());
            }
        }
        for (Ingress i : m.all(Ingress.class)) {
            for (var rule : i.getSpec().getRules()) {
                for (var path : rule.getHttp().getPaths()) {
                    IngressBackend b = path.getBackend();
                    Service s = m.named(Service.class, b.getService().getName());
                    assertTrue(s.getSpec().getPorts().stream().anyMatch(p -> p.getName().equals(b.getService().getPort().getName())),
                            "Ingress " + i.getMetadata().getName() + " port " + b.getService().getPort().getName());
                }
            }
        }
        for (PodDisruptionBudget pdb : m.all(PodDisruptionBudget.class)) {
            assertEquals(1, m.all(Deployment.class, d -> selects(pdb.getSpec().getSelector(), d.getSpec().getTemplate().getMetadata().getLabels())).size(),
                    "PodDisruptionBudget " + pdb.getMetadata().getName());
        }
        for (HorizontalPodAutoscaler h : m.all(HorizontalPodAutoscaler.class)) {
            assertEquals("Deployment", h.getSpec().getScaleTargetRef().getKind());
            m.named(Deployment.class, h.getSpec().getScaleTargetRef().getName());
        }
        for (Manifests.ScaledObject so : m.scaledObjects()) {
            m.named(Deployment.class, so.spec().scaleTargetRef().name());
        }
        String cluster = m.all(Kafka.class).get(0).getMetadata().getName();
        for (HasMetadata r : Stream.concat(m.all(KafkaTopic.class).stream(), m.all(KafkaNodePool.class).stream()).toList()) {
            assertEquals(cluster, r.getMetadata().getLabels().get("strimzi.io/cluster"), r.getKind() + " " + r.getMetadata().getName());
        }
    }

    /** Whether a selector (matchLabels only, as deploy/ writes them) selects these labels. */
    static boolean selects(LabelSelector selector, Map<String, String> labels) {
        assertTrue(selector.getMatchExpressions() == null || selector.getMatchExpressions().isEmpty(), "matchLabels only");
        return selects(selector.getMatchLabels(), labels);
    }

    static boolean selects(Map<String, String> matchLabels, Map<String, String> labels) {
        return matchLabels != null && !matchLabels.isEmpty() && labels != null
                && matchLabels.entrySet().stream().allMatch(e -> e.getValue().equals(labels.get(e.getKey())));
    }
}

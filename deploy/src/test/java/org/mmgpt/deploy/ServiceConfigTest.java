package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mmgpt.protocol.topics.TopicSpec;
import org.mmgpt.protocol.topics.Topics;

/**
 * The manifests configure the services with settings the services read: every environment
 * variable, the Kafka address, the storage root, the ports, the consumer groups KEDA watches, the
 * grace period a worker needs to hand its job over.
 */
class ServiceConfigTest {

    /**
     * Variables read by what runs under the service rather than by its configuration, each with its
     * reader. Anything else a manifest sets must be a setting of the service.
     */
    static final Map<String, String> RUNTIME_VARIABLES = Map.of(
            "OMP_WAIT_POLICY", "libgomp, PyTorch's OpenMP runtime",
            "DJL_CACHE_DIR", "DJL: where it unpacks PyTorch's native library");

    static List<String> kustomizations() {
        return List.of("base", "overlays/dev", "overlays/gpu");
    }

    /** A container's environment, the ConfigMaps it takes whole included (Secrets as their key). */
    static Map<String, String> environment(Manifests m, Container c) {
        Map<String, String> env = new HashMap<>();
        c.getEnvFrom().forEach(from -> env.putAll(m.named(ConfigMap.class, from.getConfigMapRef().getName()).getData()));
        for (EnvVar e : c.getEnv()) {
            env.put(e.getName(), e.getValue() != null ? e.getValue()
                    : "<secret " + e.getValueFrom().getSecretKeyRef().getName() + "/" + e.getValueFrom().getSecretKeyRef().getKey() + ">");
        }
        return env;
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyVariableTheManifestsSetIsReadByItsService(String k) {
        Manifests m = Manifests.of(k);
        List<String> unread = new ArrayList<>();
        for (Deployment d : m.all(Deployment.class)) {
            ServiceConfig service = ServiceConfig.of(d.getMetadata().getName());
            for (String env : environment(m, Manifests.container(d)).keySet()) {
                if (env.equals("MMGPT_API_KEYS") && !gatewayReadsApiKeys()) {
                    continue; // see theGatewayReadsTheApiKeysOfTheSecret
                }
                if (!service.reads(env) && !RUNTIME_VARIABLES.containsKey(env)) {
                    unread.add(d.getMetadata().getName() + ": " + env);
                }
            }
        }
        assertEquals(List.of(), unread, "variables no service reads");
    }

    private static boolean gatewayReadsApiKeys() {
        ServiceConfig gateway = ServiceConfig.of("gateway");
        Pattern apiKeys = Pattern.compile("(?i).*api[-_.]?keys?.*");
        return gateway.values.keySet().stream().anyMatch(key -> apiKeys.matcher(key).matches())
                || gateway.referenced.keySet().stream().anyMatch(v -> apiKeys.matcher(v).matches());
    }

    /**
     * The Secret's keys reach the gateway as MMGPT_API_KEYS. The gateway reads API keys once the chat
     * API (issue 5) is in; until then there is nothing to hold the variable to.
     */
    @Test
    void theGatewayReadsTheApiKeysOfTheSecret() {
        Assumptions.assumeTrue(gatewayReadsApiKeys(),
                "the gateway reads no API-key setting yet (issue 5 brings it): MMGPT_API_KEYS is not checked");
        assertTrue(ServiceConfig.of("gateway").reads("MMGPT_API_KEYS"),
                "the manifests give the gateway its keys as MMGPT_API_KEYS, which it should read");
        Container gateway = Manifests.container(Manifests.of("overlays/gpu").named(Deployment.class, "gateway"));
        EnvVar keys = gateway.getEnv().stream().filter(e -> e.getName().equals("MMGPT_API_KEYS")).findFirst().orElseThrow();
        assertEquals("mmgpt-api-keys", keys.getValueFrom().getSecretKeyRef().getName());
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void servicesFindKafkaAndTheSharedStorage(String k) {
        Manifests m = Manifests.of(k);
        Kafka kafka = m.all(Kafka.class).get(0);
        GenericKafkaListener plain = kafka.getSpec().getKafka().getListeners().stream()
                .filter(l -> !l.isTls() && l.getType().toValue().equals("internal")).findFirst().orElseThrow();
        String bootstrap = kafka.getMetadata().getName() + "-kafka-bootstrap:" + plain.getPort();
        for (Deployment d : m.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            Map<String, String> env = environment(m, Manifests.container(d));
            assertEquals(bootstrap, env.get("KAFKA_BOOTSTRAP_SERVERS"), name + ": Strimzi's bootstrap service of the plain listener");
            assertTrue(ServiceConfig.of(name).value("kafka.bootstrap.servers").isPresent(), name + " reads kafka.bootstrap.servers");
            String storage = env.get("MMGPT_STORAGE");
            assertTrue(ServiceConfig.of(name).referenced.containsKey("MMGPT_STORAGE"), name + " takes its storage root from MMGPT_STORAGE");
            VolumeMount mount = Manifests.container(d).getVolumeMounts().stream().filter(v -> v.getMountPath().equals(storage))
                    .findFirst().orElseThrow(() -> new AssertionError(name + " mounts nothing at " + storage));
            Volume volume = d.getSpec().getTemplate().getSpec().getVolumes().stream().filter(v -> v.getName().equals(mount.getName()))
                    .findFirst().orElseThrow();
            assertNotNull(volume.getPersistentVolumeClaim(), name + ": the storage root is the shared claim");
            assertEquals("mmgpt-storage", volume.getPersistentVolumeClaim().getClaimName());
            assertFalse(Boolean.TRUE.equals(mount.getReadOnly()), name + " writes to storage");
        }
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void portsProbesAndMetricsAreTheServicesOwn(String k) {
        Manifests m = Manifests.of(k);
        for (Deployment d : m.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            ServiceConfig service = ServiceConfig.of(name);
            Container c = Manifests.container(d);
            ContainerPort http = c.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst()
                    .orElseThrow(() -> new AssertionError(name + " names no port http"));
            assertEquals(service.httpPort(environment(m, c)), http.getContainerPort(), name + ": the port the service listens on");
            // the health and metrics paths are Quarkus's own under /q, unless a service moves them
            assertFalse(service.value("quarkus.http.non-application-root-path").isPresent(), name);
            assertFalse(service.value("quarkus.smallrye-health.root-path").isPresent(), name);
            probe(name + " startup", c.getStartupProbe(), "/q/health/started");
            probe(name + " liveness", c.getLivenessProbe(), "/q/health/live");
            probe(name + " readiness", c.getReadinessProbe(), "/q/health/ready");
            Map<String, String> annotations = d.getSpec().getTemplate().getMetadata().getAnnotations();
            assertEquals(String.valueOf(http.getContainerPort()), annotations.get("prometheus.io/port"), name);
            assertEquals("/q/metrics", annotations.get("prometheus.io/path"), name);
        }
    }

    private static void probe(String what, Probe probe, String path) {
        assertNotNull(probe, what + " probe");
        assertNotNull(probe.getHttpGet(), what + " probe over HTTP");
        assertEquals(path, probe.getHttpGet().getPath(), what);
        assertEquals("http", probe.getHttpGet().getPort().getStrVal(), what + " on the port named http");
    }

    @Test
    void kedaWatchesTheGroupsAndTopicsTheWorkersConsume() {
        Manifests m = Manifests.of("overlays/gpu");
        String bootstrap = m.named(ConfigMap.class, "mmgpt-config").getData().get("KAFKA_BOOTSTRAP_SERVERS");
        Map<String, Integer> partitions = new HashMap<>();
        m.all(KafkaTopic.class).forEach(t -> partitions.put(t.getSpec().getTopicName(), t.getSpec().getPartitions()));
        Set<String> scaled = new TreeSet<>();
        for (Manifests.ScaledObject so : m.scaledObjects()) {
            String target = so.spec().scaleTargetRef().name();
            scaled.add(target);
            ServiceConfig service = ServiceConfig.of(target);
            assertEquals(1, so.spec().triggers().size(), target);
            Manifests.ScaledObject.Trigger trigger = so.spec().triggers().get(0);
            assertEquals("kafka", trigger.type(), target);
            JsonNode meta = trigger.metadata();
            Set<String> known = Set.of("bootstrapServers", "consumerGroup", "topic", "lagThreshold", "activationLagThreshold",
                    "offsetResetPolicy", "allowIdleConsumers", "scaleToZeroOnInvalidOffset", "excludePersistentLag",
                    "limitToPartitionsWithLag", "version");
            meta.fieldNames().forEachRemaining(f -> assertTrue(known.contains(f), target + ": KEDA's kafka scaler has no " + f));
            String pair = meta.path("topic").asText() + " " + meta.path("consumerGroup").asText();
            assertTrue(service.consumedGroups().contains(pair),
                    target + " consumes " + service.consumedGroups() + ", KEDA watches " + pair);
            assertEquals(bootstrap, meta.path("bootstrapServers").asText(), target);
            // the workers' consumers start from the earliest offset (worker-common's JobWorker, and the channels' auto.offset.reset)
            assertEquals("earliest", meta.path("offsetResetPolicy").asText(), target);
            assertTrue(Integer.parseInt(meta.path("lagThreshold").asText()) >= 1, target);
            Integer max = so.spec().maxReplicaCount();
            assertNotNull(max, target);
            assertTrue(max <= partitions.get(meta.path("topic").asText()),
                    target + ": more replicas than partitions would idle");
            assertTrue(so.spec().minReplicaCount() <= max, target);
            assertNotNull(so.spec().fallback(), target + ": replicas to keep when the lag cannot be read");
        }
        assertEquals(Set.of("inference-worker", "trainer-worker"), scaled);
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyTopicNamedInTheManifestsIsATopicOfTheSystem(String k) {
        // a topic's name is a whole value: mmgpt.<name> (host names such as mmgpt.example.com have more dots)
        Pattern topic = Pattern.compile("mmgpt\\.[a-z][a-z0-9-]*");
        Set<String> topics = new TreeSet<>();
        for (JsonNode r : Manifests.of(k).raw) {
            textValues(r, v -> {
                if (topic.matcher(v).matches()) {
                    topics.add(v);
                }
            });
        }
        Set<String> known = new TreeSet<>(Topics.ALL.stream().map(TopicSpec::name).toList());
        assertEquals(known, new TreeSet<>(topics.stream().filter(known::contains).toList()), "each topic appears");
        assertTrue(known.containsAll(topics), "topics no service has: " + topics.stream().filter(t -> !known.contains(t)).toList());
    }

    private static void textValues(JsonNode node, java.util.function.Consumer<String> action) {
        if (node.isTextual()) {
            action.accept(node.asText());
        }
        node.forEach(child -> textValues(child, action));
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void aStoppingWorkerHasTimeToHandItsJobOver(String k) {
        for (Deployment d : Manifests.of(k).all(Deployment.class)) {
            ServiceConfig service = ServiceConfig.of(d.getMetadata().getName());
            var handover = service.value("mmgpt.worker.handover-timeout");
            if (handover.isEmpty()) {
                continue;
            }
            Duration timeout = Duration.parse("PT" + handover.get().toUpperCase());
            Long grace = d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds();
            assertNotNull(grace, d.getMetadata().getName() + ": a grace period");
            assertTrue(grace > timeout.toSeconds() + 10, d.getMetadata().getName() + ": " + grace + " s to stop, hand-over takes up to "
                    + timeout.toSeconds() + " s");
        }
    }
}

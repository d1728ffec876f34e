package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** What each overlay promises: dev one CPU replica of everything; gpu GPUs for the workers and autoscaling. */
class OverlaysTest {

    private static final Set<String> GPU_WORKERS = Set.of("trainer-worker", "inference-worker");
    private static final String GPU = "nvidia.com/gpu";

    static List<String> kustomizations() {
        return List.of("base", "overlays/dev", "overlays/gpu");
    }

    @Test
    void devRunsOneReplicaOfEverythingOnCpu() {
        Manifests m = Manifests.of("overlays/dev");
        for (Deployment d : m.all(Deployment.class)) {
            assertEquals(1, d.getSpec().getReplicas(), d.getMetadata().getName());
            assertFalse(gpus(Manifests.container(d)), d.getMetadata().getName() + " asks for no GPU");
            assertFalse(Manifests.container(d).getImage().contains("-cuda"), d.getMetadata().getName());
        }
        assertTrue(m.all(HorizontalPodAutoscaler.class).isEmpty(), "no autoscaler");
        assertTrue(m.scaledObjects().isEmpty(), "no KEDA");
        assertEquals(1, m.all(KafkaNodePool.class).stream().mapToInt(p -> p.getSpec().getReplicas()).sum(), "one Kafka node");
        m.all(KafkaTopic.class).forEach(t -> assertEquals(1, t.getSpec().getReplicas(), t.getSpec().getTopicName()));
        assertEquals(1, m.all(Secret.class).size(), "dev brings its API key");
        assertTrue(m.named(PersistentVolumeClaim.class, "mmgpt-storage").getSpec().getAccessModes().contains("ReadWriteMany"));
    }

    @Test
    void gpuGivesTheTrainersAndInferenceWorkersOneGpuEachOnGpuNodesAndScalesThem() {
        Manifests m = Manifests.of("overlays/gpu");
        for (Deployment d : m.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            Container c = Manifests.container(d);
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            if (GPU_WORKERS.contains(name)) {
                assertEquals(new Quantity("1"), c.getResources().getRequests().get(GPU), name);
                assertEquals(new Quantity("1"), c.getResources().getLimits().get(GPU), name);
                assertEquals("true", pod.getNodeSelector().get("nvidia.com/gpu.present"), name + " on GPU nodes");
                assertTrue(pod.getTolerations().stream().anyMatch(t -> GPU.equals(t.getKey()) && "NoSchedule".equals(t.getEffect())),
                        name + " tolerates the GPU nodes' taint");
                assertTrue(c.getImage().startsWith("mmgpt/" + name + "-cuda:"), name + " runs the CUDA image, not " + c.getImage());
            } else {
                assertFalse(gpus(c), name + " asks for no GPU");
                assertTrue(c.getImage().startsWith("mmgpt/" + name + ":"), name);
            }
        }
        Set<String> scaled = new TreeSet<>();
        m.scaledObjects().forEach(so -> scaled.add(so.spec().scaleTargetRef().name()));
        m.all(HorizontalPodAutoscaler.class).forEach(h -> scaled.add(h.getSpec().getScaleTargetRef().getName()));
        assertEquals(new TreeSet<>(Set.of("gateway", "trainer-worker", "inference-worker")), scaled);
        for (Deployment d : m.all(Deployment.class)) {
            if (scaled.contains(d.getMetadata().getName())) {
                // an autoscaler owns the count: a replicas field would reset it at every apply
                assertNull(d.getSpec().getReplicas(), d.getMetadata().getName());
            } else {
                assertNotNull(d.getSpec().getReplicas(), d.getMetadata().getName());
            }
        }
        assertTrue(m.all(Secret.class).isEmpty(), "production keys are never in the repository");
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyContainerHasRequestsAndLimitsAndRunsLockedDown(String k) {
        for (Deployment d : Manifests.of(k).all(Deployment.class)) {
            String name = d.getMetadata().getName();
            Container c = Manifests.container(d);
            ResourceRequirements r = c.getResources();
            for (String resource : List.of("cpu", "memory")) {
                Quantity request = r.getRequests().get(resource);
                Quantity limit = r.getLimits().get(resource);
                assertNotNull(request, name + " requests " + resource);
                assertNotNull(limit, name + " limits " + resource);
                assertTrue(limit.getNumericalAmount().compareTo(request.getNumericalAmount()) >= 0, name + " " + resource + " limit ≥ request");
            }
            PodSpec pod = d.getSpec().getTemplate().getSpec();
            assertEquals(Boolean.FALSE, pod.getAutomountServiceAccountToken(), name + " never talks to the Kubernetes API");
            assertEquals(Boolean.TRUE, pod.getSecurityContext().getRunAsNonRoot(), name);
            assertEquals(Boolean.TRUE, c.getSecurityContext().getReadOnlyRootFilesystem(), name);
            assertEquals(Boolean.FALSE, c.getSecurityContext().getAllowPrivilegeEscalation(), name);
            assertEquals(List.of("ALL"), c.getSecurityContext().getCapabilities().getDrop(), name);
            assertTrue(c.getVolumeMounts().stream().anyMatch(v -> v.getMountPath().equals("/tmp")), name + " has a writable /tmp");
        }
    }

    private static boolean gpus(Container c) {
        ResourceRequirements r = c.getResources();
        return r.getRequests() != null && r.getRequests().containsKey(GPU) || r.getLimits() != null && r.getLimits().containsKey(GPU);
    }
}

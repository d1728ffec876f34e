package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyBuilder;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyIngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.kafka.listener.GenericKafkaListener;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Only the gateway is reachable: the network policies (ours, and the one Strimzi generates from the
 * Kafka listener's networkPolicyPeers) evaluated as Kubernetes does, for clients inside and outside
 * the namespace.
 */
class NetworkPolicyTest {

    private static final String NS = "mmgpt";

    /** A pod: where it runs and its labels. */
    record Pod(String name, String namespace, Map<String, String> labels) {
        Map<String, String> namespaceLabels() {
            // Kubernetes labels every namespace with its name
            return Map.of("kubernetes.io/metadata.name", namespace);
        }
    }

    static final Pod INGRESS_CONTROLLER = new Pod("ingress controller", "ingress-nginx", Map.of("app.kubernetes.io/name", "ingress-nginx"));
    static final Pod OTHER_APP = new Pod("another application", "default", Map.of("app", "shop"));
    static final Pod PROMETHEUS = new Pod("prometheus", "monitoring", Map.of("app.kubernetes.io/name", "prometheus"));
    static final Pod KEDA = new Pod("keda operator", "keda", Map.of("app", "keda-operator"));

    static List<String> kustomizations() {
        return List.of("base", "overlays/dev", "overlays/gpu");
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void onlyTheGatewayIsReachable(String k) {
        Manifests m = Manifests.of(k);
        List<NetworkPolicy> policies = new ArrayList<>(m.all(NetworkPolicy.class));
        Kafka kafka = m.all(Kafka.class).get(0);
        policies.addAll(strimziPolicies(kafka));
        Map<String, Pod> pods = new HashMap<>();
        Map<String, Integer> ports = new HashMap<>();
        for (Deployment d : m.all(Deployment.class)) {
            String name = d.getMetadata().getName();
            pods.put(name, new Pod(name, NS, d.getSpec().getTemplate().getMetadata().getLabels()));
            ports.put(name, Manifests.container(d).getPorts().get(0).getContainerPort());
        }
        // the labels Strimzi gives the broker pods (it copies the Kafka resource's own labels onto them)
        Map<String, String> brokerLabels = new HashMap<>(kafka.getMetadata().getLabels());
        brokerLabels.putAll(Map.of("strimzi.io/cluster", kafka.getMetadata().getName(), "strimzi.io/kind", "Kafka",
                "strimzi.io/name", kafka.getMetadata().getName() + "-kafka", "strimzi.io/pool-name", "combined"));
        Pod broker = new Pod("kafka broker", NS, brokerLabels);
        int kafkaPort = plainListener(kafka).getPort();

        Pod gateway = pods.get("gateway");
        for (Pod client : List.of(INGRESS_CONTROLLER, OTHER_APP, PROMETHEUS)) {
            assertTrue(allowed(policies, client, gateway, ports.get("gateway")), client.name() + " → gateway");
            assertTrue(!allowed(policies, client, broker, kafkaPort), client.name() + " → Kafka");
        }
        for (String worker : List.of("trainer-worker", "merger", "inference-worker")) {
            Pod w = pods.get(worker);
            for (Pod client : List.of(INGRESS_CONTROLLER, OTHER_APP, KEDA, gateway)) {
                assertTrue(!allowed(policies, client, w, ports.get(worker)), client.name() + " → " + worker);
            }
            assertTrue(allowed(policies, PROMETHEUS, w, ports.get(worker)), "prometheus scrapes " + worker);
        }
        for (Pod ours : pods.values()) {
            assertTrue(allowed(policies, ours, broker, kafkaPort), ours.name() + " → Kafka");
        }
        assertTrue(allowed(policies, KEDA, broker, kafkaPort), "KEDA reads the consumer lag");
        // every pod of the namespace is under some policy: none is open by omission
        for (Pod p : pods.values()) {
            assertTrue(policies.stream().anyMatch(np -> selectsPod(np, p)), p.name() + " is isolated");
        }
        assertTrue(policies.stream().anyMatch(np -> selectsPod(np, broker)));
        assertEquals(0, m.all(NetworkPolicy.class).stream().filter(np -> np.getSpec().getEgress() != null && !np.getSpec().getEgress().isEmpty()).count(),
                "egress is left open (Kafka, DNS)");
    }

    static GenericKafkaListener plainListener(Kafka kafka) {
        return kafka.getSpec().getKafka().getListeners().stream().filter(l -> !l.isTls()).findFirst().orElseThrow();
    }

    /** The policy Strimzi writes for each listener: its port, from its networkPolicyPeers (everyone when none). */
    static List<NetworkPolicy> strimziPolicies(Kafka kafka) {
        List<NetworkPolicy> out = new ArrayList<>();
        for (GenericKafkaListener l : kafka.getSpec().getKafka().getListeners()) {
            out.add(new NetworkPolicyBuilder()
                    .withNewMetadata().withName(kafka.getMetadata().getName() + "-network-policy-kafka").withNamespace(NS).endMetadata()
                    .withNewSpec()
                    .withNewPodSelector().addToMatchLabels("strimzi.io/cluster", kafka.getMetadata().getName())
                    .addToMatchLabels("strimzi.io/kind", "Kafka").addToMatchLabels("strimzi.io/name", kafka.getMetadata().getName() + "-kafka")
                    .endPodSelector()
                    .withPolicyTypes("Ingress")
                    .addNewIngress().withFrom(l.getNetworkPolicyPeers()).addNewPort().withNewPort(l.getPort()).withProtocol("TCP").endPort().endIngress()
                    .endSpec().build());
        }
        return out;
    }

    /** Kubernetes' rule: a pod under no ingress policy takes everything; else what one of its policies allows. */
    static boolean allowed(List<NetworkPolicy> policies, Pod from, Pod to, int port) {
        List<NetworkPolicy> selecting = policies.stream().filter(np -> selectsPod(np, to)).toList();
        if (selecting.isEmpty()) {
            return true;
        }
        for (NetworkPolicy np : selecting) {
            for (NetworkPolicyIngressRule rule : np.getSpec().getIngress()) {
                boolean peer = rule.getFrom() == null || rule.getFrom().isEmpty()
                        || rule.getFrom().stream().anyMatch(p -> peerMatches(p, np.getMetadata().getNamespace(), from));
                boolean portOk = rule.getPorts() == null || rule.getPorts().isEmpty()
                        || rule.getPorts().stream().anyMatch(p -> portMatches(p, port));
                if (peer && portOk) {
                    return true;
                }
            }
        }
        return false;
    }

    static boolean selectsPod(NetworkPolicy np, Pod pod) {
        List<String> types = np.getSpec().getPolicyTypes();
        boolean ingress = types == null || types.isEmpty() || types.contains("Ingress");
        return ingress && NS.equals(pod.namespace()) && NS.equals(np.getMetadata().getNamespace())
                && matches(np.getSpec().getPodSelector(), pod.labels());
    }

    private static boolean peerMatches(NetworkPolicyPeer peer, String policyNamespace, Pod from) {
        if (peer.getIpBlock() != null) {
            throw new AssertionError("ipBlock peers are not evaluated by this test");
        }
        boolean namespaceOk = peer.getNamespaceSelector() == null
                ? from.namespace().equals(policyNamespace)
                : matches(peer.getNamespaceSelector(), from.namespaceLabels());
        boolean podOk = peer.getPodSelector() == null || matches(peer.getPodSelector(), from.labels());
        return namespaceOk && podOk;
    }

    private static boolean portMatches(NetworkPolicyPort p, int port) {
        if (p.getProtocol() != null && !p.getProtocol().equals("TCP")) {
            return false;
        }
        if (p.getPort() == null) {
            return true;
        }
        if (p.getPort().getIntVal() == null) {
            throw new AssertionError("named ports are not evaluated by this test: " + p.getPort().getStrVal());
        }
        int first = p.getPort().getIntVal();
        int last = p.getEndPort() != null ? p.getEndPort() : first;
        return port >= first && port <= last;
    }

    /** A label selector as Kubernetes reads it: every matchLabels entry and every expression must hold (empty: all). */
    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) {
            return true;
        }
        if (selector.getMatchLabels() != null) {
            for (var e : selector.getMatchLabels().entrySet()) {
                if (!e.getValue().equals(labels.get(e.getKey()))) {
                    return false;
                }
            }
        }
        if (selector.getMatchExpressions() != null) {
            for (LabelSelectorRequirement r : selector.getMatchExpressions()) {
                String v = labels.get(r.getKey());
                boolean ok = switch (r.getOperator()) {
                    case "In" -> v != null && r.getValues().contains(v);
                    case "NotIn" -> v == null || !r.getValues().contains(v);
                    case "Exists" -> v != null;
                    case "DoesNotExist" -> v == null;
                    default -> throw new AssertionError("unknown operator " + r.getOperator());
                };
                if (!ok) {
                    return false;
                }
            }
        }
        return true;
    }
}

package org.mmgpt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.strimzi.api.kafka.model.kafka.Kafka;
import io.strimzi.api.kafka.model.nodepool.KafkaNodePool;
import io.strimzi.api.kafka.model.nodepool.ProcessRoles;
import io.strimzi.api.kafka.model.topic.KafkaTopic;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mmgpt.protocol.topics.TopicSpec;
import org.mmgpt.protocol.topics.Topics;

/** Strimzi's KafkaTopics are exactly the topics of protocol's Topics: names, partitions, cleanup and retention. */
class TopicsTest {

    static List<String> kustomizations() {
        return List.of("base", "overlays/dev", "overlays/gpu");
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void theKafkaTopicsAreTheTopicsOfTheServices(String k) {
        Manifests m = Manifests.of(k);
        Map<String, KafkaTopic> declared = new TreeMap<>();
        for (KafkaTopic t : m.all(KafkaTopic.class)) {
            String name = t.getSpec().getTopicName() != null ? t.getSpec().getTopicName() : t.getMetadata().getName();
            assertEquals(null, declared.put(name, t), "two KafkaTopics for " + name);
        }
        assertEquals(Topics.ALL.stream().map(TopicSpec::name).sorted().toList(), List.copyOf(declared.keySet()),
                "KafkaTopics against protocol's Topics.ALL");
        for (TopicSpec spec : Topics.ALL) {
            KafkaTopic t = declared.get(spec.name());
            assertEquals(partitionsOfTheServices(spec), t.getSpec().getPartitions(), spec.name() + " partitions");
            Map<String, String> config = t.getSpec().getConfig().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> String.valueOf(e.getValue()), (a, b) -> a, TreeMap::new));
            assertEquals(new TreeMap<>(spec.configs()), config, spec.name() + " config");
        }
    }

    /** The partition count the services create the topic with: their config's override (all the same), or the default. */
    private static int partitionsOfTheServices(TopicSpec spec) {
        Map<String, Integer> overrides = new TreeMap<>();
        for (String module : List.of("gateway", "trainer-worker", "merger", "inference-worker")) {
            String override = ServiceConfig.of(module).values.get("mmgpt.topics." + spec.configKey() + ".partitions");
            if (override != null) {
                overrides.put(module, Integer.parseInt(override.strip()));
            }
        }
        assertTrue(overrides.values().stream().distinct().count() <= 1, spec.name() + ": services disagree " + overrides);
        return overrides.values().stream().findFirst().orElse(spec.defaultPartitions());
    }

    @ParameterizedTest
    @MethodSource("kustomizations")
    void everyTopicFitsTheBrokersAndSurvivesTheLossOfOne(String k) {
        Manifests m = Manifests.of(k);
        int brokers = m.all(KafkaNodePool.class).stream().filter(p -> p.getSpec().getRoles().contains(ProcessRoles.BROKER))
                .mapToInt(p -> p.getSpec().getReplicas()).sum();
        Map<String, Object> config = m.all(Kafka.class).get(0).getSpec().getKafka().getConfig();
        int minIsr = Integer.parseInt(String.valueOf(config.get("min.insync.replicas")));
        assertEquals("false", String.valueOf(config.get("auto.create.topics.enable")), "topics exist only when declared");
        for (KafkaTopic t : m.all(KafkaTopic.class)) {
            int replicas = t.getSpec().getReplicas();
            assertTrue(replicas <= brokers, t.getSpec().getTopicName() + ": " + replicas + " replicas on " + brokers + " brokers");
            assertTrue(replicas >= minIsr, t.getSpec().getTopicName() + ": fewer replicas than min.insync.replicas");
            if (brokers > 1) {
                // writes (acks=all) go on with one broker down
                assertTrue(replicas > minIsr, t.getSpec().getTopicName() + ": one broker down would stop writes");
            }
        }
        for (String internal : List.of("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "default.replication.factor")) {
            assertTrue(Integer.parseInt(String.valueOf(config.get(internal))) <= brokers, internal);
        }
    }
}

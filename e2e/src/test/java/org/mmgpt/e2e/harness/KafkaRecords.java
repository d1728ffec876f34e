package org.mmgpt.e2e.harness;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * A test's own hands on the broker, beside the services: read a topic's records for one key exactly as
 * they are stored, publish records again (a duplicate is byte for byte the original), and see how far
 * a consumer group has committed.
 */
public final class KafkaRecords implements AutoCloseable {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final String bootstrap;
    private final Admin admin;
    private final KafkaProducer<String, byte[]> producer;

    public KafkaRecords(String bootstrap) {
        this.bootstrap = bootstrap;
        this.admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap));
        this.producer = new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ProducerConfig.ACKS_CONFIG, "all",
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName(),
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName()));
    }

    /** Every record of the topic with this key, oldest first (the whole topic is read to its end). */
    public List<ConsumerRecord<String, byte[]>> read(String topic, String key) {
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName()))) {
            TopicPartition partition = new TopicPartition(topic, partitionOf(topic, key));
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), TIMEOUT).get(partition);
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (consumer.position(partition, TIMEOUT) < end) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not read " + partition + " to its end " + end);
                }
                consumer.poll(Duration.ofMillis(200)).forEach(r -> {
                    if (key.equals(r.key())) {
                        records.add(r);
                    }
                });
            }
            return records;
        }
    }

    /** Publishes a record and waits until the broker has it. */
    public void publish(String topic, String key, byte[] value) {
        try {
            producer.send(new ProducerRecord<>(topic, key, value)).get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new AssertionError("cannot publish to " + topic, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The partition that records with this key go to (the producers' default partitioner). */
    public int partitionOf(String topic, String key) {
        int partitions = call(() -> admin.describeTopics(List.of(topic)).allTopicNames().get()).get(topic).partitions().size();
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    /** The partition's end offset: the offset the next record written there gets. */
    public long endOffset(TopicPartition partition) {
        return call(() -> admin.listOffsets(Map.of(partition, OffsetSpec.latest())).all().get()).get(partition).offset();
    }

    /** The offset the group committed for the partition, or -1. */
    public long committed(String group, TopicPartition partition) {
        Map<TopicPartition, OffsetAndMetadata> offsets = call(() -> admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get());
        OffsetAndMetadata committed = offsets.get(partition);
        return committed == null ? -1 : committed.offset();
    }

    /**
     * Whether the consumer group is stable with exactly {@code members} members that share all of the
     * topic's partitions (no rebalance under way, no dead member waiting for its session to expire).
     */
    public boolean settled(String group, String topic, int members) {
        ConsumerGroupDescription description = call(() -> admin.describeConsumerGroups(List.of(group))
                .describedGroups().get(group).get());
        int partitions = call(() -> admin.describeTopics(List.of(topic)).allTopicNames().get()).get(topic).partitions().size();
        int assigned = description.members().stream().mapToInt(m -> m.assignment().topicPartitions().size()).sum();
        return description.groupState() == GroupState.STABLE && description.members().size() == members
                && assigned == partitions;
    }

    private interface Call<T> {
        T get() throws Exception;
    }

    private static <T> T call(Call<T> call) {
        try {
            return call.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new AssertionError("a Kafka admin call failed", e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
        admin.close(Duration.ofSeconds(5));
    }
}

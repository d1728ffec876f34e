package org.mmgpt.gateway.inference;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Utils;
import org.mmgpt.protocol.topics.Topics;

/**
 * Reads the one partition of mmgpt.inference-responses that this gateway instance named in its
 * requests, from its end at start, outside any consumer group (so no rebalance ever moves it), and
 * hands on the records addressed to this instance. Records for other instances that hash to the same
 * partition are skipped by their header, unparsed.
 */
final class ReplyConsumer {

    private static final System.Logger LOG = System.getLogger(ReplyConsumer.class.getName());
    private static final Duration POLL = Duration.ofMillis(100);

    private final KafkaConsumer<String, byte[]> consumer;
    private final byte[] instance;
    private final int partition;
    private final Thread thread;
    private volatile boolean running = true;

    /**
     * Assigns the partition and takes its end offset before returning, so that no reply to a request
     * published afterwards can be missed.
     *
     * @param expects whether a request id is still waited for (others are skipped unparsed)
     * @param deliver called on the consumer's thread with a request id and the record's value
     */
    ReplyConsumer(Map<String, Object> kafka, String instanceId, Integer configuredPartition,
            Predicate<String> expects, BiConsumer<String, byte[]> deliver) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "gateway-replies-" + instanceId);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.consumer = new KafkaConsumer<>(config);
        this.instance = instanceId.getBytes(StandardCharsets.UTF_8);
        int partitions = consumer.partitionsFor(Topics.INFERENCE_RESPONSES).size();
        this.partition = configuredPartition != null ? configuredPartition
                : Utils.toPositive(Utils.murmur2(instance)) % partitions;
        if (partition < 0 || partition >= partitions) {
            throw new IllegalArgumentException("mmgpt.serving.reply-partition is " + partition + " but "
                    + Topics.INFERENCE_RESPONSES + " has " + partitions + " partitions");
        }
        TopicPartition tp = new TopicPartition(Topics.INFERENCE_RESPONSES, partition);
        consumer.assign(List.of(tp));
        consumer.seekToEnd(List.of(tp));
        consumer.position(tp);
        this.thread = new Thread(() -> poll(expects, deliver), "gateway-replies");
        thread.setDaemon(true);
        thread.start();
        LOG.log(Level.INFO, "gateway instance {0} reads its answers from {1}-{2}", instanceId,
                Topics.INFERENCE_RESPONSES, partition);
    }

    int partition() {
        return partition;
    }

    boolean isRunning() {
        return thread.isAlive();
    }

    private void poll(Predicate<String> expects, BiConsumer<String, byte[]> deliver) {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    Header to = record.headers().lastHeader(Topics.REPLY_TO_HEADER);
                    if (to != null && Arrays.equals(to.value(), instance) && expects.test(record.key())) {
                        deliver.accept(record.key(), record.value());
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the answer consumer stopped", e);
        } finally {
            consumer.close();
        }
    }

    void close() throws InterruptedException {
        running = false;
        consumer.wakeup();
        thread.join(5_000);
    }
}

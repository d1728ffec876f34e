package org.mmgpt.inference;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;

/**
 * Takes generation requests from mmgpt.inference-requests, in the consumer group the inference workers
 * share, and hands each to {@link ServingService} at once (generation runs on the models' threads).
 *
 * <p>A plain consumer on a thread of its own, not a SmallRye channel: measured here, the channel
 * delivered some records only at the end of its poll timeout (up to a second late), which a request
 * waiting for its first token cannot afford; a plain consumer hands them on as they arrive. Offsets
 * are committed automatically on the next poll, after the records of the last one were queued: a
 * request is acknowledged once queued (docs/architecture.md, "Serving"). A short session timeout moves
 * a dead worker's partitions to the others within seconds.
 */
@ApplicationScoped
public class RequestConsumer {

    private static final System.Logger LOG = System.getLogger(RequestConsumer.class.getName());
    private static final Duration POLL = Duration.ofMillis(100);

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafka;
    @Inject
    InferenceConfig config;
    @Inject
    ServingService serving;

    private KafkaConsumer<String, byte[]> consumer;
    private Thread thread;
    private volatile boolean running;

    void start(@Observes StartupEvent event) {
        Map<String, Object> settings = new HashMap<>(kafka);
        settings.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        settings.put(ConsumerConfig.CLIENT_ID_CONFIG, serving.workerId() + "-inference-requests");
        settings.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
        settings.put(ConsumerConfig.AUTO_COMMIT_INTERVAL_MS_CONFIG, 1000);
        // A new group starts from the oldest request kept: those past their deadline are dropped unseen.
        settings.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        settings.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        settings.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000);
        settings.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 2_000);
        settings.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        settings.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        settings.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        consumer = new KafkaConsumer<>(settings);
        consumer.subscribe(List.of(Topics.INFERENCE_REQUESTS));
        running = true;
        thread = new Thread(this::poll, "inference-requests");
        thread.start();
    }

    void stop(@Observes ShutdownEvent event) throws InterruptedException {
        running = false;
        if (consumer != null) {
            consumer.wakeup();
            thread.join(15_000);
        }
    }

    /** The poll loop runs. */
    public boolean isRunning() {
        return thread != null && thread.isAlive();
    }

    private void poll() {
        try {
            while (running) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    InferenceRequest request;
                    try {
                        request = Json.read(record.value(), InferenceRequest.class);
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "skipping an unreadable request at " + record.topic() + "-"
                                + record.partition() + "@" + record.offset() + ": " + e.getMessage());
                        continue;
                    }
                    serving.submit(request);
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "the request consumer stopped", e);
        } finally {
            consumer.close(CloseOptions.timeout(Duration.ofSeconds(10)));
        }
    }
}

package org.mmgpt.inference;

import io.smallrye.common.annotation.Identifier;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;

/**
 * Sends answers to the gateway instance that asked: to the partition the request names, keyed by
 * request id, with the reply-to header. A plain producer rather than an emitter: it is called from the
 * generation threads, once a token, and must neither block them nor buffer in front of Kafka's own
 * batching. Sends are fire-and-forget; a lost record shows as a silent request at the gateway.
 */
@ApplicationScoped
public class ReplyPublisher {

    private static final System.Logger LOG = System.getLogger(ReplyPublisher.class.getName());

    private final KafkaProducer<String, byte[]> producer;

    @Inject
    public ReplyPublisher(@Identifier("default-kafka-broker") Map<String, Object> kafka) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true); // keeps a request's records in order on retries
        config.put(ProducerConfig.LINGER_MS_CONFIG, 0); // a token waits for nothing (Kafka 4 defaults to 5 ms)
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        this.producer = new KafkaProducer<>(config);
    }

    public void send(InferenceRequest request, InferenceResponse response) {
        ProducerRecord<String, byte[]> record = new ProducerRecord<>(Topics.INFERENCE_RESPONSES,
                request.replyPartition(), request.requestId(), Json.write(response),
                List.of(new RecordHeader(Topics.REPLY_TO_HEADER, request.replyTo().getBytes(StandardCharsets.UTF_8))));
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                LOG.log(Level.WARNING, "answer to request " + request.requestId() + " not sent: " + error.getMessage());
            }
        });
    }

    @PreDestroy
    void close() {
        producer.close(Duration.ofSeconds(5));
    }
}

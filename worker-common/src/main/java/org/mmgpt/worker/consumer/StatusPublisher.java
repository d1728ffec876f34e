package org.mmgpt.worker.consumer;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;

/**
 * Publishes a job's event and its new snapshot, and waits until the broker has both. Thread-safe.
 * The event goes first and the snapshot only once the broker has it: a reader that sees a snapshot
 * (a job ended) can count on its event being in Kafka too (the gateway's event streams wait for it).
 */
final class StatusPublisher implements AutoCloseable {

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaProducer<String, byte[]> producer;

    StatusPublisher(Map<String, Object> kafka) {
        Map<String, Object> config = new HashMap<>(kafka);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        config.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) ACK_TIMEOUT.toMillis());
        config.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) ACK_TIMEOUT.toMillis() / 2);
        this.producer = new KafkaProducer<>(config);
    }

    void publish(JobEvent event, JobStatus status) throws PublishException {
        try {
            Future<RecordMetadata> sentEvent = producer.send(new ProducerRecord<>(Topics.JOB_EVENTS, event.jobId(), Json.write(event)));
            sentEvent.get(ACK_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
            Future<RecordMetadata> sentStatus = producer.send(new ProducerRecord<>(Topics.JOB_STATUS, status.id(), Json.write(status)));
            sentStatus.get(ACK_TIMEOUT.toMillis() + 1_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException | KafkaException e) {
            // KafkaException: send() itself refused (the producer closing while it waited for the broker)
            throw new PublishException("cannot publish " + event.state() + " of job " + event.jobId(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PublishException("interrupted while publishing job " + event.jobId(), e);
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }

    /** The broker did not take a status update. */
    static final class PublishException extends Exception {
        private static final long serialVersionUID = 1L;

        PublishException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}

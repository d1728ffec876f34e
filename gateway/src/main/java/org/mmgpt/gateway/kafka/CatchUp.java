package org.mmgpt.gateway.kafka;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Event;
import jakarta.inject.Inject;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;

/**
 * Whether the gateway has read everything its topics held when it started: until then its job table
 * is incomplete, so the job API answers 503 and readiness is DOWN.
 *
 * <p>At start it takes each partition's beginning and end offsets; a partition is caught up once a
 * record at or past its end - 1 was processed, or when it was empty. (The last record of a partition
 * always exists: compaction keeps the latest record of each key, retention never deletes the newest
 * segment's records, and the services write no transactions.)
 */
@ApplicationScoped
public class CatchUp {

    /** Fired once, when the job table holds everything Kafka held at start. */
    public record Done() {
    }

    @Inject
    Event<Done> caughtUp;

    private volatile Map<TopicPartition, Long> targets;
    private final Map<TopicPartition, Long> processed = new ConcurrentHashMap<>();
    private volatile boolean done;

    /** Sets the targets: the end offsets of the partitions that held records. */
    void begin(Map<TopicPartition, Long> beginning, Map<TopicPartition, Long> end) {
        Map<TopicPartition, Long> nonEmpty = new HashMap<>();
        end.forEach((partition, offset) -> {
            if (offset > beginning.getOrDefault(partition, 0L)) {
                nonEmpty.put(partition, offset);
            }
        });
        targets = nonEmpty;
        check();
    }

    public void processed(ConsumerRecord<?, ?> record) {
        processed.merge(new TopicPartition(record.topic(), record.partition()), record.offset() + 1, Math::max);
        if (!done) {
            check();
        }
    }

    public boolean isDone() {
        return done;
    }

    private synchronized void check() {
        Map<TopicPartition, Long> wanted = targets;
        if (done || wanted == null) {
            return;
        }
        for (var target : wanted.entrySet()) {
            if (processed.getOrDefault(target.getKey(), 0L) < target.getValue()) {
                return;
            }
        }
        done = true;
        caughtUp.fire(new Done());
    }
}

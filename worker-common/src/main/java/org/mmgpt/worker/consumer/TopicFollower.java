package org.mmgpt.worker.consumer;

import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads whole topics from the beginning and then follows them, outside any consumer group, on a
 * thread of its own: how a worker knows every job's status and every cancel order.
 * {@link #caughtUp()} completes once everything that was in the topics when it was called has been
 * handed to the callback: a read-your-writes barrier before deciding anything from that state.
 */
final class TopicFollower implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(TopicFollower.class.getName());
    private static final Duration POLL = Duration.ofMillis(100);
    private static final Duration END_OFFSETS_TIMEOUT = Duration.ofSeconds(5);

    private record Barrier(Map<TopicPartition, Long> target, CompletableFuture<Void> done) {
    }

    private final Map<String, Object> config;
    private final List<String> topics;
    private final Consumer<ConsumerRecord<String, byte[]>> callback;
    private final Thread thread;
    private final Queue<CompletableFuture<Void>> requested = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    TopicFollower(Map<String, Object> kafka, List<String> topics, Consumer<ConsumerRecord<String, byte[]>> callback,
            String name) {
        this.config = new HashMap<>(kafka);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        config.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        this.topics = List.copyOf(topics);
        this.callback = callback;
        this.thread = new Thread(this::follow, name);
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    CompletableFuture<Void> caughtUp() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (closed) {
            done.completeExceptionally(new IllegalStateException("follower closed"));
        } else {
            requested.add(done);
        }
        return done;
    }

    private void follow() {
        List<Barrier> waiting = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config)) {
            List<TopicPartition> partitions = partitionsOf(consumer);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            while (!closed) {
                for (ConsumerRecord<String, byte[]> record : consumer.poll(POLL)) {
                    try {
                        callback.accept(record);
                    } catch (RuntimeException e) {
                        LOG.log(Level.ERROR, "skipping unreadable record " + record.topic() + "-"
                                + record.partition() + "@" + record.offset() + ": " + e.getMessage());
                    }
                }
                if (!requested.isEmpty()) {
                    try {
                        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, END_OFFSETS_TIMEOUT);
                        CompletableFuture<Void> next;
                        while ((next = requested.poll()) != null) {
                            waiting.add(new Barrier(end, next));
                        }
                    } catch (TimeoutException e) {
                        // the broker is away (a restart): ask again on the next round; the waiters wait
                    }
                }
                waiting.removeIf(b -> {
                    boolean reached = reached(consumer, b);
                    if (reached) {
                        b.done().complete(null);
                    }
                    return reached;
                });
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "stopped following " + topics, e);
        } finally {
            closed = true;
            IllegalStateException stopped = new IllegalStateException("follower of " + topics + " stopped");
            waiting.forEach(b -> b.done().completeExceptionally(stopped));
            requested.forEach(f -> f.completeExceptionally(stopped));
        }
    }

    private static boolean reached(KafkaConsumer<String, byte[]> consumer, Barrier barrier) {
        try {
            return barrier.target().entrySet().stream()
                    .allMatch(e -> consumer.position(e.getKey(), END_OFFSETS_TIMEOUT) >= e.getValue());
        } catch (TimeoutException e) {
            return false; // a position not known yet and the broker away: look again on the next round
        }
    }

    /** The topics' partitions; while the broker cannot be reached, asks again until it can or this closes. */
    private List<TopicPartition> partitionsOf(KafkaConsumer<String, byte[]> consumer) {
        while (true) {
            try {
                List<TopicPartition> partitions = new ArrayList<>();
                for (String topic : topics) {
                    consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                }
                return partitions;
            } catch (TimeoutException e) {
                if (closed) {
                    throw e;
                }
                LOG.log(Level.WARNING, "cannot read the partitions of " + topics + " yet; retrying");
            }
        }
    }

    boolean isRunning() {
        return thread.isAlive() && !closed;
    }

    @Override
    public void close() {
        closed = true;
        try {
            thread.join(Duration.ofSeconds(10).toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

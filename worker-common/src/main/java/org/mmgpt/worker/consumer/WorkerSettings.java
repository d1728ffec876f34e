package org.mmgpt.worker.consumer;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * How a {@link JobWorker} runs.
 *
 * @param kafka             Kafka client settings shared by its clients (bootstrap.servers, security)
 * @param requestsTopic     the request topic it consumes (stage or merge requests)
 * @param groupId           its consumer group: workers of one kind share it and split the partitions
 * @param workerId          this instance's name, written into the events it publishes
 * @param groupInstanceId   static group membership (a pod's stable name), so a restart within the
 *                          session timeout keeps its partitions without a rebalance
 * @param maxConcurrentJobs jobs it runs at the same time
 * @param progressInterval  how often a running job's progress is published (also a heartbeat)
 * @param handoverTimeout   how long it waits for running jobs to reach a step boundary when it gives
 *                          their partitions up (shutdown, rebalance); keep it below max.poll.interval.ms
 * @param topicPartitions   partition counts by topic config key, for topics it has to create
 */
public record WorkerSettings(Map<String, Object> kafka, String requestsTopic, String groupId, String workerId,
        Optional<String> groupInstanceId, int maxConcurrentJobs, Duration progressInterval,
        Duration handoverTimeout, Map<String, Integer> topicPartitions) {

    public WorkerSettings {
        kafka = Map.copyOf(kafka);
        topicPartitions = Map.copyOf(topicPartitions);
        if (maxConcurrentJobs < 1) {
            throw new IllegalArgumentException("maxConcurrentJobs must be at least 1, got " + maxConcurrentJobs);
        }
    }
}

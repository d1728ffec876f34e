package org.mmgpt.worker.consumer;

import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;

/**
 * What a worker knows of all jobs, fed by a {@link TopicFollower} over the status and control
 * topics: each job's latest snapshot (highest seq wins) and which jobs were ordered cancelled.
 */
final class JobStatusView {

    private final Map<String, JobStatus> statuses = new ConcurrentHashMap<>();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final Queue<JobCommand> newCommands = new ConcurrentLinkedQueue<>();

    void accept(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        if (record.topic().equals(Topics.JOB_STATUS)) {
            JobStatus status = Json.read(record.value(), JobStatus.class);
            statuses.merge(status.id(), status, (old, now) -> now.seq() > old.seq() ? now : old);
        } else if (record.topic().equals(Topics.JOB_CONTROL)) {
            JobCommand command = Json.read(record.value(), JobCommand.class);
            if (command.action() == JobCommand.Action.CANCEL) {
                cancelled.add(command.jobId());
            }
            newCommands.add(command);
        }
    }

    Optional<JobStatus> get(String jobId) {
        return Optional.ofNullable(statuses.get(jobId));
    }

    boolean cancelRequested(String jobId) {
        return cancelled.contains(jobId);
    }

    /** The next command not yet acted on, or null. */
    JobCommand nextCommand() {
        return newCommands.poll();
    }
}

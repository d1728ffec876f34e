package org.mmgpt.worker.consumer;

import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.mmgpt.protocol.jobs.JobCommand;
import org.mmgpt.protocol.jobs.JobEvent;
import org.mmgpt.protocol.jobs.JobStatus;
import org.mmgpt.protocol.json.Json;
import org.mmgpt.protocol.topics.Topics;

/**
 * What a worker knows of all jobs, fed by a {@link TopicFollower} over the status, event and control
 * topics: each job's latest snapshot (highest seq wins), the highest seq in its event log, and which
 * jobs were ordered cancelled.
 */
final class JobStatusView {

    private final Map<String, JobStatus> statuses = new ConcurrentHashMap<>();
    private final Map<String, Long> lastEventSeqs = new ConcurrentHashMap<>();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final Queue<JobCommand> newCommands = new ConcurrentLinkedQueue<>();

    void accept(ConsumerRecord<String, byte[]> record) {
        if (record.value() == null) {
            return;
        }
        if (record.topic().equals(Topics.JOB_STATUS)) {
            JobStatus status = Json.read(record.value(), JobStatus.class);
            statuses.merge(status.id(), status, (old, now) -> now.seq() > old.seq() ? now : old);
        } else if (record.topic().equals(Topics.JOB_EVENTS)) {
            JobEvent event = Json.read(record.value(), JobEvent.class);
            lastEventSeqs.merge(event.jobId(), event.seq(), Math::max);
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

    /**
     * The highest seq the job's writers have used: its snapshot's, or above it an event's whose
     * snapshot never followed (its writer died between the two publishes). A new writer starts above
     * it, so that no seq is sent twice.
     */
    long lastSeq(String jobId) {
        JobStatus status = statuses.get(jobId);
        return Math.max(status == null ? 0 : status.seq(), lastEventSeqs.getOrDefault(jobId, 0L));
    }

    boolean cancelRequested(String jobId) {
        return cancelled.contains(jobId);
    }

    /** The next command not yet acted on, or null. */
    JobCommand nextCommand() {
        return newCommands.poll();
    }
}

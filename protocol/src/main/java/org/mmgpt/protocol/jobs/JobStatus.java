package org.mmgpt.protocol.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.mmgpt.protocol.params.JobParams;

/**
 * The latest snapshot of a job, as kept in the compacted {@code Topics.JOB_STATUS} (one record per
 * job id) and as the gateway shows it.
 *
 * <p>Exactly one writer changes a job at a time: the gateway while it is QUEUED (and for a
 * pipeline, all along), then the worker that owns its request. The writer builds the next event with
 * {@link #next}, folds it in with {@link #apply}, and publishes both. Readers keep the snapshot with
 * the highest seq.
 *
 * @param children  a pipeline's stage job ids, in order; empty for other jobs
 * @param attempts  attempts started so far (0 while QUEUED)
 * @param artifacts storage-relative paths of what the job published
 * @param error     why it failed (or why its last attempt was lost), else null
 * @param seq       the seq of the last event folded in
 * @param workerId  the worker that last wrote it, or null while the gateway did
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobStatus(String id, JobType type, JobState state, JobParams params, String parentId,
        List<String> children, int attempts, Progress progress, Map<String, Double> metrics,
        List<String> artifacts, String error, Instant submittedAt, Instant startedAt, Instant updatedAt,
        Instant endedAt, long seq, String workerId) {

    public JobStatus {
        children = children == null ? List.of() : List.copyOf(children);
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    }

    /** A job just submitted: QUEUED with seq 1, the snapshot that {@link #queuedEvent()} describes. */
    public static JobStatus queued(JobRequest request, List<String> children) {
        return new JobStatus(request.jobId(), request.type(), JobState.QUEUED, request.params(),
                request.parentId(), children, 0, null, Map.of(), List.of(), null, request.submittedAt(),
                null, request.submittedAt(), null, 1, null);
    }

    /** The first event of every job's history. */
    public JobEvent queuedEvent() {
        return new JobEvent(id, 1, submittedAt, JobState.QUEUED, 0, null, Map.of(), List.of(), null, null);
    }

    /** The event a writer publishes next: seq one above this snapshot's, same attempt. */
    public JobEvent next(JobState newState, Instant time, String writer) {
        return new JobEvent(id, seq + 1, time, newState, attempts, progress, Map.of(), List.of(), null, writer);
    }

    public JobRequest request() {
        return new JobRequest(id, type, params, Math.max(1, attempts), parentId, submittedAt);
    }

    /**
     * This snapshot with the event folded in; unchanged when the event is for another job, is a
     * duplicate (seq not above this one's) or is a move the state machine does not allow.
     */
    public JobStatus apply(JobEvent event) {
        if (!event.jobId().equals(id) || event.seq() <= seq || !state.canMoveTo(event.state())) {
            return this;
        }
        Map<String, Double> mergedMetrics = new LinkedHashMap<>(metrics);
        mergedMetrics.putAll(event.metrics());
        LinkedHashSet<String> mergedArtifacts = new LinkedHashSet<>(artifacts);
        mergedArtifacts.addAll(event.artifacts());
        return new JobStatus(id, type, event.state(), params, parentId, children,
                Math.max(attempts, event.attempt()),
                event.progress() != null ? event.progress() : progress,
                mergedMetrics, new ArrayList<>(mergedArtifacts), event.error(), submittedAt,
                startedAt == null && event.state() == JobState.RUNNING ? event.time() : startedAt,
                event.time(), event.state().isTerminal() ? event.time() : null, event.seq(),
                event.workerId() != null ? event.workerId() : workerId);
    }
}

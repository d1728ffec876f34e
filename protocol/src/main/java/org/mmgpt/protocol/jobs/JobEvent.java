package org.mmgpt.protocol.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One thing that happened to a job: a state change, or a progress report while RUNNING. Events go
 * to {@code Topics.JOB_EVENTS} (the history that SSE replays) and each is folded into the job's
 * snapshot ({@link JobStatus#apply}).
 *
 * <p>{@code seq} numbers a job's events 1, 2, 3, ... and is the SSE event id: an event whose seq is
 * not above the last one seen is a duplicate (a redelivery or a second publish) and is ignored.
 *
 * @param metrics  the latest values at this moment: loss, learning_rate, tokens_per_second,
 *                 eval_loss, rewards/chosen, rewards/rejected, rewards/accuracies, rewards/margins
 * @param artifacts storage-relative paths this event adds to the job's artifacts
 * @param error    why the job failed or is being retried
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobEvent(String jobId, long seq, Instant time, JobState state, int attempt, Progress progress,
        Map<String, Double> metrics, List<String> artifacts, String error, String workerId) {

    public JobEvent {
        metrics = metrics == null ? Map.of() : Map.copyOf(metrics);
        artifacts = artifacts == null ? List.of() : List.copyOf(artifacts);
    }

    public JobEvent withProgress(Progress value) {
        return new JobEvent(jobId, seq, time, state, attempt, value, metrics, artifacts, error, workerId);
    }

    public JobEvent withMetrics(Map<String, Double> value) {
        return new JobEvent(jobId, seq, time, state, attempt, progress, value, artifacts, error, workerId);
    }

    public JobEvent withArtifacts(List<String> value) {
        return new JobEvent(jobId, seq, time, state, attempt, progress, metrics, value, error, workerId);
    }

    public JobEvent withError(String value) {
        return new JobEvent(jobId, seq, time, state, attempt, progress, metrics, artifacts, value, workerId);
    }

    public JobEvent withSeq(long value) {
        return new JobEvent(jobId, value, time, state, attempt, progress, metrics, artifacts, error, workerId);
    }

    public JobEvent withAttempt(int value) {
        return new JobEvent(jobId, seq, time, state, value, progress, metrics, artifacts, error, workerId);
    }

    /**
     * Whether this event may follow {@code previous} in a job's history: a higher seq, and a state
     * that {@code previous.state} may move to (or the first event seen of the job).
     */
    public boolean follows(JobEvent previous) {
        return previous == null || (seq > previous.seq && previous.state.canMoveTo(state));
    }
}

package org.mmgpt.protocol.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import org.mmgpt.protocol.params.JobParams;

/**
 * A stage or merge request: the work a worker picks up from {@code Topics.STAGE_REQUESTS} or
 * {@code Topics.MERGE_REQUESTS}, keyed by job id. The gateway publishes it with attempt 1; the worker
 * that runs it passes the handler a copy with the attempt it is actually making (2 or more after a
 * lost attempt, when the handler should resume from the job's last checkpoint).
 *
 * @param parentId the pipeline this job is a stage of, or null
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobRequest(String jobId, JobType type, JobParams params, int attempt, String parentId,
        Instant submittedAt) {

    public JobRequest withAttempt(int number) {
        return new JobRequest(jobId, type, params, number, parentId, submittedAt);
    }
}

package org.mmgpt.protocol.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.Locale;

/**
 * An order about a job on {@code Topics.JOB_CONTROL}, keyed by job id. The topic is compacted, so
 * a worker that starts later still learns that a job was cancelled before it runs it.
 *
 * @param jobType the job's type, so a worker knows whether the job's request is on its topic
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobCommand(String jobId, JobType jobType, Action action, Instant issuedAt) {

    public enum Action {
        /** Stop at the next step boundary (or never start), ending CANCELLED. */
        CANCEL;

        @JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static JobCommand cancel(String jobId, JobType jobType, Instant at) {
        return new JobCommand(jobId, jobType, Action.CANCEL, at);
    }
}

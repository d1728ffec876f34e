package org.mmgpt.protocol.jobs;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;

/**
 * How far a job is: optimizer steps done of the total, the percentage, and the estimated seconds
 * left (null until there is a rate to estimate from).
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Progress(long step, long totalSteps, double percent, Long etaSeconds) {

    public static Progress of(long step, long totalSteps, Long etaSeconds) {
        double percent = totalSteps > 0 ? Math.min(100.0, 100.0 * step / totalSteps) : 0.0;
        return new Progress(step, totalSteps, Math.round(percent * 10) / 10.0, etaSeconds);
    }
}

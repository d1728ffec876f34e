package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/**
 * "Stop generating for this request": its client went away or the gateway gave up waiting. On
 * {@code Topics.INFERENCE_CONTROL}, keyed by request id; every inference worker reads all of it, and
 * the one holding the request drops it from its batch at the next step.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
public record InferenceCancel(String requestId, Instant sentAt) {
}

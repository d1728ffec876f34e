package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/**
 * The answer to an {@link InferenceRequest} on {@code Topics.INFERENCE_RESPONSES}, keyed by request
 * id: the generated text and why generation stopped ("stop", "length"), or an error.
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceResponse(String requestId, String replyTo, String text, String finishReason, String error,
        Instant sentAt) {

    public static InferenceResponse failed(InferenceRequest request, String error, Instant at) {
        return new InferenceResponse(request.requestId(), request.replyTo(), null, null, error, at);
    }
}

package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/**
 * A generation request on {@code Topics.INFERENCE_REQUESTS}, keyed by request id. Deliberately
 * minimal: issue 5 adds sampling parameters, streaming and the routing of replies.
 *
 * @param replyTo the gateway instance that holds the client's connection
 * @param model   storage-relative path of a model (or adapter) directory
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceRequest(String requestId, String replyTo, String model, List<ChatMessage> messages,
        Integer maxTokens, Instant sentAt) {
}

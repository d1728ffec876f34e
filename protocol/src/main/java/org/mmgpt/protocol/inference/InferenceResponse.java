package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;

/**
 * One record of the answer to an {@link InferenceRequest}, on {@code Topics.INFERENCE_RESPONSES},
 * keyed by request id (one worker writes a request's records in order to one partition, so they
 * arrive in order).
 *
 * <ul>
 *   <li>{@code text}: more text of choice {@code index} (streamed requests only);</li>
 *   <li>{@code end}: choice {@code index} is done: {@code finish_reason}, {@code usage}, and for a
 *       request that is not streamed, the whole text;</li>
 *   <li>{@code error}: the request failed as a whole; nothing follows;</li>
 *   <li>{@code alive}: nothing new, but the worker still holds the request (sent after a second of
 *       silence), so the gateway can tell a slow answer from a dead worker.</li>
 * </ul>
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceResponse(String requestId, Kind kind, int index, String text, String finishReason,
        Usage usage, InferenceError error, String workerId, Instant sentAt) {

    public enum Kind {
        @JsonProperty("text") TEXT,
        @JsonProperty("end") END,
        @JsonProperty("error") ERROR,
        @JsonProperty("alive") ALIVE
    }

    /** Tokens of one choice: the prompt's and the generated ones (a final eos id counted). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Usage(int promptTokens, int completionTokens) {
    }

    public static InferenceResponse text(String requestId, int index, String text, String workerId) {
        return new InferenceResponse(requestId, Kind.TEXT, index, text, null, null, null, workerId, Instant.now());
    }

    public static InferenceResponse end(String requestId, int index, String text, String finishReason, Usage usage,
            String workerId) {
        return new InferenceResponse(requestId, Kind.END, index, text, finishReason, usage, null, workerId,
                Instant.now());
    }

    public static InferenceResponse error(String requestId, InferenceError error, String workerId) {
        return new InferenceResponse(requestId, Kind.ERROR, 0, null, null, null, error, workerId, Instant.now());
    }

    public static InferenceResponse alive(String requestId, String workerId) {
        return new InferenceResponse(requestId, Kind.ALIVE, 0, null, null, null, null, workerId, Instant.now());
    }
}

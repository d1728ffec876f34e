package org.mmgpt.protocol.inference;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import java.time.Instant;
import java.util.List;

/**
 * A generation request on {@code Topics.INFERENCE_REQUESTS}, keyed by request id, so requests spread
 * over the partitions and the inference workers of the group share them.
 *
 * <p>The answer goes to partition {@code replyPartition} of {@code Topics.INFERENCE_RESPONSES} with
 * the header {@code Topics.REPLY_TO_HEADER} = {@code replyTo}: the gateway instance holding the
 * client's connection reads that partition and keeps the records addressed to it.
 *
 * @param replyTo        the id of the gateway instance that waits for the answer
 * @param model          a served model id ({@link ModelCatalog}): "models/x", "adapters/y" or "adapters/y@models/x"
 * @param messages       a conversation, rendered with the model's chat template; or null when {@code prompt} is set
 * @param prompt         raw text to continue (the completions API); or null when {@code messages} is set
 * @param n              how many choices to generate (each streamed under its index)
 * @param stream         true: text is sent as it is generated; false: each choice in one record at its end
 * @param deadline       the gateway stops waiting then: a request not finished by then is dropped
 */
@JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InferenceRequest(String requestId, String replyTo, int replyPartition, String model,
        List<ChatMessage> messages, String prompt, Sampling sampling, int n, boolean stream, Instant deadline,
        Instant sentAt) {

    public InferenceRequest {
        sampling = sampling == null ? Sampling.DEFAULTS : sampling;
        n = Math.max(n, 1);
    }

    /** The same request under another id: the gateway's retry, after its first worker went silent. */
    public InferenceRequest withId(String id, Instant at) {
        return new InferenceRequest(id, replyTo, replyPartition, model, messages, prompt, sampling, n, stream,
                deadline, at);
    }
}

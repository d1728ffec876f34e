package org.mmgpt.inference;

import io.smallrye.reactive.messaging.kafka.Record;
import jakarta.enterprise.context.ApplicationScoped;
import java.time.Instant;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.eclipse.microprofile.reactive.messaging.Outgoing;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;

/**
 * Answers each generation request, keyed by its request id. Model serving (issue 5) is not wired in
 * yet: until then every answer is an error that says so, so a caller never waits in vain.
 */
@ApplicationScoped
public class InferenceRequests {

    @Incoming("inference-requests")
    @Outgoing("inference-responses")
    public Record<String, InferenceResponse> answer(InferenceRequest request) {
        return Record.of(request.requestId(), InferenceResponse.failed(request,
                "model serving is not wired to the engine yet", Instant.now()));
    }
}

package org.mmgpt.inference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.mmgpt.protocol.inference.InferenceCancel;
import org.mmgpt.protocol.inference.InferenceRequest;

/**
 * The worker's Kafka inputs: requests, in the group the inference workers share (channel
 * inference-requests), and cancel orders, read whole by every worker (channel inference-control).
 * Both hand over at once; generation runs on the models' own threads.
 */
@ApplicationScoped
public class InferenceChannels {

    @Inject
    ServingService serving;

    @Incoming("inference-requests")
    public void request(InferenceRequest request) {
        serving.submit(request);
    }

    @Incoming("inference-control")
    public void cancel(InferenceCancel cancel) {
        serving.cancel(cancel.requestId());
    }
}

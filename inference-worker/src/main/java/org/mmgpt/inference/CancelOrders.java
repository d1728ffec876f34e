package org.mmgpt.inference;

import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.eclipse.microprofile.reactive.messaging.Incoming;
import org.mmgpt.protocol.inference.InferenceCancel;

/**
 * Cancel orders (channel inference-control), read whole by every worker from its start: the worker
 * holding the request drops it. (Requests come through {@link RequestConsumer}.)
 */
@ApplicationScoped
public class CancelOrders {

    @Inject
    ServingService serving;

    @Incoming("inference-control")
    public void cancel(InferenceCancel cancel) {
        serving.cancel(cancel.requestId());
    }
}

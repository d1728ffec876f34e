package org.mmgpt.inference;

import org.mmgpt.engine.generate.FinishReason;
import org.mmgpt.protocol.inference.InferenceError;
import org.mmgpt.protocol.inference.InferenceRequest;
import org.mmgpt.protocol.inference.InferenceResponse;
import org.mmgpt.protocol.inference.InferenceResponse.Usage;

/**
 * The {@link Output} of a request that came over Kafka: streamed requests get each piece of text as it
 * is generated, the others each choice whole at its end; both get an "alive" record after a silence.
 */
final class KafkaReply implements Output {

    private final InferenceRequest request;
    private final ReplyPublisher publisher;
    private final String workerId;
    private final Runnable onDone;
    private volatile long lastSent = System.nanoTime();
    private volatile boolean done;
    private int ended; // generation thread only

    /** @param onDone told once, when the request has its last record */
    KafkaReply(InferenceRequest request, ReplyPublisher publisher, String workerId, Runnable onDone) {
        this.request = request;
        this.publisher = publisher;
        this.workerId = workerId;
        this.onDone = onDone;
    }

    @Override
    public void text(int index, String delta) {
        if (request.stream()) {
            send(InferenceResponse.text(request.requestId(), index, delta, workerId));
        }
    }

    @Override
    public void end(int index, FinishReason reason, String text, int promptTokens, int completionTokens) {
        send(InferenceResponse.end(request.requestId(), index, request.stream() ? null : text, reason.openAiName(),
                new Usage(promptTokens, completionTokens), workerId));
        if (++ended == request.n()) {
            finish();
        }
    }

    @Override
    public void failed(InferenceError error) {
        send(InferenceResponse.error(request.requestId(), error, workerId));
        finish();
    }

    /** Sends "alive" if nothing was sent for {@code silenceNanos}. */
    void heartbeat(long now, long silenceNanos) {
        if (!done && now - lastSent >= silenceNanos) {
            send(InferenceResponse.alive(request.requestId(), workerId));
        }
    }

    private void send(InferenceResponse response) {
        lastSent = System.nanoTime();
        publisher.send(request, response);
    }

    private void finish() {
        if (!done) {
            done = true;
            onDone.run();
        }
    }
}

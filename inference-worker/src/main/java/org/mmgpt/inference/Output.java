package org.mmgpt.inference;

import org.mmgpt.engine.generate.FinishReason;
import org.mmgpt.protocol.inference.InferenceError;

/**
 * Where a {@link GenerationTask}'s results go: a Kafka reply for a live request, a batch job's list
 * of answers. Called on the model's generation thread, so implementations must not block.
 */
interface Output {

    /** More text of choice {@code index}: safe to show (whole characters, no partial stop string). */
    void text(int index, String delta);

    /**
     * Choice {@code index} finished.
     *
     * @param text the choice's whole text
     */
    void end(int index, FinishReason reason, String text, int promptTokens, int completionTokens);

    /** The task failed as a whole; nothing more is called. */
    void failed(InferenceError error);
}

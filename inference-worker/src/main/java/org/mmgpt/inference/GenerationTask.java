package org.mmgpt.inference;

import java.time.Instant;
import java.util.List;
import org.mmgpt.protocol.inference.ChatMessage;
import org.mmgpt.protocol.inference.Sampling;

/**
 * What a {@link ModelServer} is asked to generate: a conversation (rendered with the model's chat
 * template, or a named one) or a raw prompt, how to sample it, how many choices, and by when.
 *
 * @param template a named template for {@code messages}; null uses the model's own chat_template
 * @param deadline null: none (batch jobs)
 */
record GenerationTask(String id, String model, List<ChatMessage> messages, String prompt, String template,
        Sampling sampling, int n, Instant deadline, Output output) {

    boolean expired(Instant now) {
        return deadline != null && now.isAfter(deadline);
    }
}

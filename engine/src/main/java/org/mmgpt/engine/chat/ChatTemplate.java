package org.mmgpt.engine.chat;

import java.util.List;
import java.util.Map;

/**
 * Turns a conversation into the exact text a model was trained on. Two kinds exist: the named
 * {@link ConversationTemplate}s of the seed project, and the {@link JinjaChatTemplate} a model ships
 * in its tokenizer_config.json.
 */
public interface ChatTemplate {

    /**
     * The conversation as text. With {@code addGenerationPrompt} the text ends where the assistant's
     * next reply begins. {@code variables} are extra template variables, e.g. {@code enable_thinking}.
     */
    String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, ?> variables);

    default String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /** Text that ends an assistant reply: generation stops when the model writes one of these. */
    List<String> stopStrings();

    /**
     * {@code render(messages, false, variables)} cut into consecutive pieces; {@code assistant} is true
     * exactly for the assistant replies with their closing token(s). SFT puts labels on those pieces only.
     */
    List<Segment> segments(List<ChatMessage> messages, Map<String, ?> variables);

    default List<Segment> segments(List<ChatMessage> messages) {
        return segments(messages, Map.of());
    }

    /** A piece of a rendered conversation; its text is never empty. */
    record Segment(String text, boolean assistant) {}
}

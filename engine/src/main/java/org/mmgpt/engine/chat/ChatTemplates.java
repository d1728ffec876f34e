package org.mmgpt.engine.chat;

import org.mmgpt.engine.tokenizer.Tokenizer;

/** Picks the chat template for a run. */
public final class ChatTemplates {
    private ChatTemplates() {}

    /**
     * A template named by the user wins (it is how a model fine-tuned with the seed is prompted);
     * otherwise the model's own chat_template; otherwise the user must name one.
     */
    public static ChatTemplate resolve(String templateNameOrNull, Tokenizer tokenizer) {
        if (templateNameOrNull != null && !templateNameOrNull.isBlank()) {
            return ConversationTemplates.get(templateNameOrNull.strip());
        }
        if (tokenizer.chatTemplate().isPresent()) {
            return JinjaChatTemplate.of(tokenizer);
        }
        throw new IllegalArgumentException("the tokenizer in " + tokenizer.directory()
                + " has no chat_template; pass --template NAME with one of: "
                + String.join(", ", ConversationTemplates.names()));
    }
}

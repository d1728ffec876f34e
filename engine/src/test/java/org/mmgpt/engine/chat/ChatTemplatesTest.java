package org.mmgpt.engine.chat;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.TinyTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

class ChatTemplatesTest {
    @TempDir
    Path dir;

    @Test
    void aNamedTemplateWins() {
        assertSame(ConversationTemplates.get("vicuna"), ChatTemplates.resolve("vicuna", QwenTokenizer.get()));
    }

    @Test
    void otherwiseTheTokenizersOwnTemplate() {
        assertInstanceOf(JinjaChatTemplate.class, ChatTemplates.resolve(null, QwenTokenizer.get()));
    }

    @Test
    void withNeitherTheUserIsToldToNameOne() throws IOException {
        try (Tokenizer tokenizer = TinyTokenizer.load(dir, "{\"eos_token\": \"</s>\"}")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ChatTemplates.resolve(null, tokenizer));
            assertTrue(e.getMessage().contains("--template NAME"), e.getMessage());
            assertTrue(e.getMessage().contains("vicuna") && e.getMessage().contains("qwen"), e.getMessage());
            assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
        }
    }

    @Test
    void anUnknownNameListsTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ChatTemplates.resolve("nope", QwenTokenizer.get()));
        assertTrue(e.getMessage().contains("chatml"), e.getMessage());
    }
}

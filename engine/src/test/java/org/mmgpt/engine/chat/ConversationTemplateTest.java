package org.mmgpt.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.chat.ChatTemplate.Segment;

/** The seed's formats, written out, for the templates a reader checks first. */
class ConversationTemplateTest {
    private static final String VICUNA_SYSTEM = "A chat between a curious user and an artificial intelligence "
            + "assistant. The assistant gives helpful, detailed, and polite answers to the user's questions.";

    @Test
    void vicunaSingleTurn() {
        assertEquals(VICUNA_SYSTEM + "</s>USER: 头痛怎么办？ ASSISTANT:",
                ConversationTemplates.get("vicuna").render(List.of(ChatMessage.user("头痛怎么办？")), true));
    }

    @Test
    void vicunaMultiTurnWithCustomSystemPrompt() {
        List<ChatMessage> messages = List.of(ChatMessage.system("You are a nurse."), ChatMessage.user("Q1"),
                ChatMessage.assistant("A1"), ChatMessage.user("Q2"));
        assertEquals("You are a nurse.</s>USER: Q1 ASSISTANT:A1</s>USER: Q2 ASSISTANT:",
                ConversationTemplates.get("vicuna").render(messages, true));
    }

    @Test
    void qwenMultiTurnClosesPastReplies() {
        List<ChatMessage> messages = List.of(ChatMessage.user("Q1"), ChatMessage.assistant("A1"), ChatMessage.user("Q2"));
        assertEquals("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n\n"
                + "<|im_start|>user\nQ1<|im_end|>\n<|im_start|>assistant\nA1<|im_end|>\n"
                + "<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n",
                ConversationTemplates.get("qwen").render(messages, true));
    }

    @Test
    void chatmlAndAlpacaSingleTurn() {
        List<ChatMessage> q = List.of(ChatMessage.user("Q"));
        assertEquals("You are a helpful assistant.<|im_end|>\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n",
                ConversationTemplates.get("chatml").render(q, true));
        assertEquals("Below is an instruction that describes a task. Write a response that appropriately "
                + "completes the request.\n\n### Instruction:\nQ\n\n### Response:\n",
                ConversationTemplates.get("alpaca").render(q, true));
    }

    @Test
    void llama3AndMistralSingleTurn() {
        List<ChatMessage> q = List.of(ChatMessage.system("S"), ChatMessage.user("Q"));
        assertEquals("S<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>"
                + "<|start_header_id|>assistant<|end_header_id|>\n\n", ConversationTemplates.get("llama3").render(q, true));
        assertEquals("S</s>[INST] Q [/INST]", ConversationTemplates.get("mistral").render(q, true));
        assertEquals("[INST] Q [/INST]", ConversationTemplates.get("mistral").render(List.of(ChatMessage.user("Q")), true));
    }

    @Test
    void anEmptySystemMessageKeepsTheDefault() {
        ConversationTemplate chatml = ConversationTemplates.get("chatml");
        assertEquals(chatml.render(List.of(ChatMessage.user("Q")), true),
                chatml.render(List.of(ChatMessage.system(""), ChatMessage.user("Q")), true));
    }

    @Test
    void segmentsLabelRepliesWithTheirStopStrings() {
        List<ChatMessage> messages = List.of(ChatMessage.user("Q1"), ChatMessage.assistant("A1"),
                ChatMessage.user("Q2"), ChatMessage.assistant("A2"));
        List<Segment> segments = ConversationTemplates.get("vicuna").segments(messages);
        assertEquals(List.of(
                new Segment(VICUNA_SYSTEM + "</s>USER: Q1 ASSISTANT:", false),
                new Segment("A1</s>", true),
                new Segment("USER: Q2 ASSISTANT:", false),
                new Segment("A2</s>", true)), segments);

        List<Segment> chatml = ConversationTemplates.get("chatml").segments(messages);
        assertEquals(new Segment("A1<|im_end|>", true), chatml.get(1));
        assertEquals(new Segment("\n<|im_start|>user\nQ2<|im_end|>\n<|im_start|>assistant\n", false), chatml.get(2));
    }

    @Test
    void aReplyThatEndsWithTheStopStringIsNotClosedTwice() {
        List<ChatMessage> messages = List.of(ChatMessage.user("Q"), ChatMessage.assistant("A</s>"));
        assertEquals(VICUNA_SYSTEM + "</s>USER: Q ASSISTANT:A</s>", ConversationTemplates.get("vicuna").render(messages, false));
    }

    @Test
    void stopStringsAndIgnoredVariables() {
        assertEquals(List.of("<|im_end|>"), ConversationTemplates.get("qwen").stopStrings());
        assertEquals(List.of("</s>"), ConversationTemplates.get("vicuna").stopStrings());
        List<ChatMessage> q = List.of(ChatMessage.user("Q"));
        assertEquals(ConversationTemplates.get("qwen").render(q, true),
                ConversationTemplates.get("qwen").render(q, true, Map.of("enable_thinking", false)));
    }

    @Test
    void messagesOutOfTurnAreRejected() {
        ConversationTemplate t = ConversationTemplates.get("vicuna");
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), true));
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(ChatMessage.system("S")), true));
        assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true));
        assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.assistant("a"), ChatMessage.user("b")), true));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.user("a"), new ChatMessage("tool", "b")), true));
        assertTrue(e.getMessage().contains("tool"), e.getMessage());
    }

    @Test
    void unknownNamesListTheKnownOnes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConversationTemplates.get("gpt5"));
        for (String name : List.of("vicuna", "alpaca", "qwen", "chatml", "llama2", "llama3", "mistral", "deepseek", "base")) {
            assertTrue(e.getMessage().contains(name), e.getMessage());
            assertEquals(name, ConversationTemplates.get(name).name());
        }
    }

    @Test
    void promptFormatsFollowPythonFormat() {
        assertEquals("{x} 1+1", ConversationTemplate.fill("{{x}} {query}", "1+1"));
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.fill("{content}", "q"));
        assertThrows(IllegalArgumentException.class, () -> ConversationTemplate.fill("no slot", "q"));
        assertThrows(IllegalArgumentException.class, () -> new ConversationTemplate("x", "", "{query}", "\n", ""));
    }
}

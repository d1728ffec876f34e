package org.mmgpt.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.chat.ChatTemplate.Segment;
import org.mmgpt.engine.tokenizer.QwenTokenizer;

class JinjaChatTemplateTest {
    private static final Map<String, String> QWEN = Map.of("eos_token", "<|im_end|>");
    private static final Map<String, String> LLAMA = Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>");
    private static final String THINK = "<think>\nThe user has a cold.\n</think>\n\nRest and drink water.";

    private static JinjaChatTemplate resource(String name, Map<String, String> tokens) throws IOException {
        return new JinjaChatTemplate(JinjaReferenceTest.source("@" + name), tokens);
    }

    private static List<String> assistantPieces(List<Segment> segments) {
        return segments.stream().filter(Segment::assistant).map(Segment::text).toList();
    }

    private static String joined(List<Segment> segments) {
        return String.join("", segments.stream().map(Segment::text).toList());
    }

    @Test
    void qwen25MultiTurnSegments() {
        JinjaChatTemplate t = JinjaChatTemplate.of(QwenTokenizer.get());
        List<ChatMessage> messages = List.of(ChatMessage.system("S"), ChatMessage.user("Q1"), ChatMessage.assistant("A1"),
                ChatMessage.user("Q2"), ChatMessage.assistant("A2"));
        List<Segment> segments = t.segments(messages);
        assertEquals(t.render(messages, false), joined(segments));
        assertEquals(List.of("A1<|im_end|>\n", "A2<|im_end|>\n"), assistantPieces(segments));
        assertEquals(4, segments.size());
        assertTrue(segments.get(0).text().endsWith("<|im_start|>assistant\n"));
    }

    @Test
    void qwen3SingleTurnSegmentsKeepTheThinking() throws IOException {
        JinjaChatTemplate t = resource("qwen3-style.jinja", QWEN);
        List<ChatMessage> messages = List.of(ChatMessage.user("I have a cold."), ChatMessage.assistant(THINK));
        assertEquals(List.of(THINK + "<|im_end|>\n"), assistantPieces(t.segments(messages)));

        // Without thinking the empty think block is part of the prompt, and only the answer is the reply.
        Map<String, Object> noThinking = Map.of("enable_thinking", false);
        List<ChatMessage> plain = List.of(ChatMessage.user("I have a cold."), ChatMessage.assistant("Rest."));
        List<Segment> segments = t.segments(plain, noThinking);
        assertEquals(List.of("Rest.<|im_end|>\n"), assistantPieces(segments));
        assertTrue(segments.get(0).text().endsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
        assertEquals(t.render(plain, false, noThinking), joined(segments));
    }

    @Test
    void qwen3MultiTurnIsNotPrefixStable() throws IOException {
        JinjaChatTemplate t = resource("qwen3-style.jinja", QWEN);
        List<ChatMessage> messages = List.of(ChatMessage.user("Q1"), ChatMessage.assistant(THINK),
                ChatMessage.user("Q2"), ChatMessage.assistant("A2"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.segments(messages));
        assertTrue(e.getMessage().contains("prefix-stable") && e.getMessage().contains("message 1"), e.getMessage());
    }

    @Test
    void llama3SegmentsCloseWithEotId() throws IOException {
        JinjaChatTemplate t = resource("llama3-style.jinja", LLAMA);
        List<ChatMessage> messages = List.of(ChatMessage.system("S"), ChatMessage.user("Q1"), ChatMessage.assistant(" A1 "),
                ChatMessage.user("Q2"), ChatMessage.assistant("A2"));
        List<Segment> segments = t.segments(messages);
        assertEquals(List.of("A1<|eot_id|>", "A2<|eot_id|>"), assistantPieces(segments));
        assertEquals(t.render(messages, false), joined(segments));
        assertTrue(joined(segments).startsWith("<|begin_of_text|>"));
        assertEquals(List.of("<|eot_id|>"), t.stopStrings());
    }

    @Test
    void raiseExceptionBecomesTheMessage() {
        JinjaChatTemplate t = new JinjaChatTemplate(
                "{% if messages[0].role != 'user' %}{{ raise_exception('Conversation must start with user') }}{% endif %}ok",
                Map.of());
        assertEquals("ok", t.render(List.of(ChatMessage.user("q")), false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> t.render(List.of(ChatMessage.assistant("a")), false));
        assertEquals("Conversation must start with user", e.getMessage());
    }

    @Test
    void strftimeNowFormatsToday() {
        JinjaChatTemplate t = new JinjaChatTemplate("Today Date: {{ strftime_now('%d %b %Y') }}", Map.of());
        String expected = "Today Date: " + LocalDate.now().format(DateTimeFormatter.ofPattern("dd MMM yyyy", Locale.ENGLISH));
        assertEquals(expected, t.render(List.of(), false));
    }

    @Test
    void toolsMayComeAsJson() throws IOException {
        JinjaChatTemplate t = new JinjaChatTemplate("{% for tool in tools %}{{ tool | tojson }}{% endfor %}", Map.of());
        var json = new ObjectMapper().readTree("[{\"name\": \"f\", \"args\": [1, 2.5, true, null]}]");
        assertEquals("{\"name\": \"f\", \"args\": [1, 2.5, true, null]}", t.render(List.of(), false, Map.of("tools", json)));
        assertEquals("", t.render(List.of(), false));
    }

    @Test
    void generationBlocksRenderTheirBody() {
        JinjaChatTemplate t = new JinjaChatTemplate(
                "{% for m in messages %}{% if m.role == 'assistant' %}{% generation %}{{ m.content }}{% endgeneration %}"
                        + "{% else %}[{{ m.content }}]{% endif %}{% endfor %}", Map.of());
        assertEquals("[q]a", t.render(List.of(ChatMessage.user("q"), ChatMessage.assistant("a")), false));
    }

    @Test
    void brokenTemplatesFailWhenLoaded() {
        assertThrows(IllegalArgumentException.class, () -> new JinjaChatTemplate("{{ 'unterminated }}", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new JinjaChatTemplate("{% for m in messages %}x", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new JinjaChatTemplate("{{ messages[ }}", Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new JinjaChatTemplate("{# never closed", Map.of()));
    }

    @Test
    void templateSyntaxInMessagesIsJustText() {
        JinjaChatTemplate t = JinjaChatTemplate.of(QwenTokenizer.get());
        String content = "{{ raise_exception('x') }} {% if true %}yes{% endif %} {# c #}";
        String text = t.render(List.of(ChatMessage.user(content)), false);
        assertTrue(text.contains("<|im_start|>user\n" + content + "<|im_end|>"), text);
    }

    @Test
    void messagesAndTheGenerationFlagAreNotVariables() {
        JinjaChatTemplate t = new JinjaChatTemplate("{{ messages | length }}", Map.of());
        assertThrows(IllegalArgumentException.class, () -> t.render(List.of(), false, Map.of("messages", List.of())));
        assertEquals("1", t.render(List.of(ChatMessage.user("q")), true, Map.of("x", 1)));
    }

    @Test
    void specialTokensAreVariablesAndCallersMayOverrideThem() {
        JinjaChatTemplate t = new JinjaChatTemplate("{{ bos_token }}|{{ eos_token }}", LLAMA);
        assertEquals("<|begin_of_text|>|<|eot_id|>", t.render(List.of(), false));
        assertEquals("<s>|<|eot_id|>", t.render(List.of(), false, Map.of("bos_token", "<s>")));
    }
}

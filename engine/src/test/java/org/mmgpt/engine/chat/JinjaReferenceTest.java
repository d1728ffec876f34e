package org.mmgpt.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.mmgpt.engine.tokenizer.QwenTokenizer;

/**
 * Every case of chat/jinja-reference.json, rendered by JinjaChatTemplate, must equal what Jinja2
 * rendered when set up as HF's apply_chat_template (make-jinja-reference.py beside the file).
 */
class JinjaReferenceTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TestFactory
    Stream<DynamicTest> rendersLikeJinja2() throws IOException {
        JsonNode reference = JSON.readTree(resource("jinja-reference.json"));
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : reference.get("cases")) {
            tests.add(DynamicTest.dynamicTest(c.get("name").asText(), () -> check(c)));
        }
        return tests.stream();
    }

    private static void check(JsonNode c) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, String> tokens = JSON.convertValue(c.get("tokens"), Map.class);
        JinjaChatTemplate template = new JinjaChatTemplate(source(c.get("template").asText()), tokens);
        List<ChatMessage> messages = new ArrayList<>();
        for (JsonNode m : c.get("messages")) {
            messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> variables = JSON.convertValue(c.get("variables"), Map.class);
        boolean generation = c.get("add_generation_prompt").asBoolean();
        if (c.has("error")) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> template.render(messages, generation, variables));
            assertEquals(c.get("error").asText(), e.getMessage(), c.get("name").asText());
        } else {
            assertEquals(c.get("text").asText(), template.render(messages, generation, variables), c.get("name").asText());
        }
    }

    static String source(String template) throws IOException {
        if (template.equals("@qwen2.5")) {
            return QwenTokenizer.get().chatTemplate().orElseThrow();
        }
        if (template.startsWith("@")) {
            return new String(resource(template.substring(1)).readAllBytes(), StandardCharsets.UTF_8);
        }
        return template;
    }

    static InputStream resource(String name) {
        InputStream in = JinjaReferenceTest.class.getResourceAsStream("/chat/" + name);
        if (in == null) {
            throw new IllegalStateException("missing test resource chat/" + name);
        }
        return in;
    }
}

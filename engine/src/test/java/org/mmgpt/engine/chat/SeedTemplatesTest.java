package org.mmgpt.engine.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.mmgpt.engine.chat.ChatTemplate.Segment;

/**
 * Every template of the seed against chat/seed-templates-reference.json, which the seed's own
 * template.py wrote (make-seed-reference.py): the same strings, the same get_dialog, and get_prompt's
 * text up to the one documented difference (past replies closed by the stop string, as the seed trains).
 */
class SeedTemplatesTest {
    private static final Set<String> LEFT_OUT = Set.of("deepseekcoder", "chatglm3");

    static JsonNode reference() throws IOException {
        try (InputStream in = SeedTemplatesTest.class.getResourceAsStream("/chat/seed-templates-reference.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void theRegistryHasEverySeedTemplateButTheTwoLeftOut() throws IOException {
        List<String> seed = new ArrayList<>();
        reference().get("templates").forEach(t -> seed.add(t.get("name").asText()));
        List<String> expected = seed.stream().filter(n -> !LEFT_OUT.contains(n)).toList();
        assertEquals(expected, ConversationTemplates.names());
        for (String name : LEFT_OUT) {
            assertThrows(IllegalArgumentException.class, () -> ConversationTemplates.get(name));
        }
    }

    @TestFactory
    Stream<DynamicTest> eachTemplateFormatsAsTheSeed() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode t : reference().get("templates")) {
            String name = t.get("name").asText();
            if (!LEFT_OUT.contains(name)) {
                tests.add(DynamicTest.dynamicTest(name, () -> check(t)));
            }
        }
        return tests.stream();
    }

    private static void check(JsonNode seed) {
        ConversationTemplate template = ConversationTemplates.get(seed.get("name").asText());
        assertEquals(seed.get("system_prompt").asText(), template.systemPrompt());
        assertEquals(seed.get("prompt").asText(), template.prompt());
        assertEquals(seed.get("sep").asText(), template.separator());
        assertEquals(seed.get("stop_str").asText(), template.stopString());
        String stop = template.stopString();
        String sep = template.separator();

        for (JsonNode c : seed.get("cases")) {
            List<ChatMessage> messages = new ArrayList<>();
            if (!c.get("system_prompt").asText().isEmpty()) {
                messages.add(ChatMessage.system(c.get("system_prompt").asText()));
            }
            List<String> replies = new ArrayList<>();
            JsonNode pairs = c.get("pairs");
            for (int k = 0; k < pairs.size(); k++) {
                messages.add(ChatMessage.user(pairs.get(k).get(0).asText()));
                String reply = pairs.get(k).get(1).asText();
                if (!(k == pairs.size() - 1 && reply.isEmpty())) {
                    messages.add(ChatMessage.assistant(reply));
                    replies.add(reply);
                }
            }
            boolean open = messages.get(messages.size() - 1).role().equals("user");

            // get_dialog, exactly.
            List<String> dialog = new ArrayList<>();
            template.dialog(messages).forEach(turn -> {
                dialog.add(turn.prompt());
                dialog.add(turn.response());
            });
            List<String> seedDialog = new ArrayList<>();
            c.get("dialog").forEach(d -> seedDialog.add(d.asText()));
            assertEquals(seedDialog, dialog);

            // get_prompt, with each reply closed by the stop string where the separator does not do it.
            String expected = c.get("prompt").asText();
            if (!sep.startsWith(stop)) {
                for (String reply : open ? replies : replies.subList(0, replies.size() - 1)) {
                    expected = expected.replace(reply + sep, reply + stop + sep);
                }
            }
            if (!open) {
                expected = expected + stop;
            }
            assertEquals(expected, template.render(messages, open));
            if (!open) {
                assertThrows(IllegalArgumentException.class, () -> template.render(messages, true));
            }

            // Segments: the rendering cut so that exactly the replies with their stop strings are the assistant's.
            List<Segment> segments = template.segments(messages);
            assertEquals(template.render(messages, false), String.join("", segments.stream().map(Segment::text).toList()));
            List<String> assistant = segments.stream().filter(Segment::assistant).map(Segment::text).toList();
            assertEquals(replies.stream().map(r -> r + stop).toList(), assistant);
        }
    }
}

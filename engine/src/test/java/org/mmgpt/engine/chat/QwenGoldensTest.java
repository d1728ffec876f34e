package org.mmgpt.engine.chat;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.chat.ChatTemplate.Segment;
import org.mmgpt.engine.tokenizer.QwenTokenizer;
import org.mmgpt.engine.tokenizer.Tokenizer;

/** The model's own chat template, as the engine picks it, against HF's apply_chat_template goldens. */
class QwenGoldensTest {

    static JsonNode chatGoldens() throws IOException {
        try (InputStream in = QwenGoldensTest.class.getResourceAsStream("/golden/qwen2_5-tokenizer-goldens.json")) {
            return new ObjectMapper().readTree(in).get("chat");
        }
    }

    static List<ChatMessage> messages(JsonNode array) {
        List<ChatMessage> messages = new ArrayList<>();
        array.forEach(m -> messages.add(new ChatMessage(m.get("role").asText(), m.get("content").asText())));
        return messages;
    }

    @Test
    void everyRenderingAndItsIdsMatch() throws IOException {
        Tokenizer tokenizer = QwenTokenizer.get();
        ChatTemplate template = ChatTemplates.resolve(null, tokenizer);
        assertInstanceOf(JinjaChatTemplate.class, template);
        JsonNode goldens = chatGoldens();
        assertEquals(6, goldens.size());
        for (JsonNode g : goldens) {
            String text = template.render(messages(g.get("messages")), g.get("add_generation_prompt").asBoolean());
            assertEquals(g.get("text").asText(), text);
            long[] ids = StreamSupport.stream(g.get("ids").spliterator(), false).mapToLong(JsonNode::asLong).toArray();
            assertArrayEquals(ids, tokenizer.encode(text), text);
        }
        assertEquals(List.of("<|im_end|>"), template.stopStrings());
    }

    @Test
    void segmentsOfAGoldenConversation() throws IOException {
        ChatTemplate template = ChatTemplates.resolve(null, QwenTokenizer.get());
        for (JsonNode g : chatGoldens()) {
            if (g.get("add_generation_prompt").asBoolean()) {
                continue;
            }
            List<ChatMessage> messages = messages(g.get("messages"));
            List<Segment> segments = template.segments(messages);
            assertEquals(g.get("text").asText(), String.join("", segments.stream().map(Segment::text).toList()));
            List<String> replies = messages.stream().filter(m -> m.role().equals("assistant"))
                    .map(m -> m.content() + "<|im_end|>\n").toList();
            assertEquals(replies, segments.stream().filter(Segment::assistant).map(Segment::text).toList());
        }
    }
}

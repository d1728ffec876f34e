package org.mmgpt.engine.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.mmgpt.engine.chat.ChatMessage;

/** The tests' own reading of well-formed data files, to compare the loaders with. */
final class TestJson {
    static final ObjectMapper JSON = new ObjectMapper();

    private TestJson() {}

    /** Every JSON line of the .jsonl files under {@code dir}, files in sorted path order. */
    static List<JsonNode> records(Path dir) {
        List<JsonNode> out = new ArrayList<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path f : walk.filter(p -> p.toString().endsWith(".jsonl")).sorted().toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    if (!line.isBlank()) {
                        out.add(JSON.readTree(line));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A ShareGPT conversation as messages (system dropped when empty). */
    static List<ChatMessage> messages(JsonNode conversations) {
        List<ChatMessage> m = new ArrayList<>();
        for (JsonNode t : conversations) {
            String role = switch (t.get("from").asText()) {
                case "human" -> "user";
                case "gpt" -> "assistant";
                default -> t.get("from").asText();
            };
            if (!(role.equals("system") && t.get("value").asText().isEmpty())) {
                m.add(new ChatMessage(role, t.get("value").asText()));
            }
        }
        return m;
    }

    static List<String> replies(List<ChatMessage> messages) {
        return messages.stream().filter(x -> x.role().equals("assistant")).map(ChatMessage::content).toList();
    }

    /** Writes {@code lines} as a .jsonl file. */
    static Path write(Path dir, String name, Object... records) {
        try {
            StringBuilder b = new StringBuilder();
            for (Object r : records) {
                b.append(r instanceof String s ? s : JSON.writeValueAsString(r)).append('\n');
            }
            return Files.writeString(dir.resolve(name), b.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package org.mmgpt.engine.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.mmgpt.engine.chat.ChatMessage;

/**
 * Batch inference files (the seed's {@code inference.py --data_file ... --output_file ...}).
 *
 * <p>In: one JSON object a line, {@code {"query": "..."}} or {@code {"messages": [{"role", "content"}, ...]}}
 * ending with the user's turn (ShareGPT {@code "conversations"} work too). A bad line fails the load,
 * every bad line named as {@code file:line}. Out: one {@code {"Input": query, "Output": answer}} a line,
 * in the order of the input, as the seed writes them.
 */
public final class QueryData {
    private static final ObjectMapper JSON = new ObjectMapper();

    private QueryData() {}

    /**
     * One question to answer.
     *
     * @param input    what the output line shows as "Input": the query, or the conversation's last user turn
     * @param messages the conversation to answer (a system turn only where the line has one)
     */
    public record Query(String input, List<ChatMessage> messages) {
        public Query {
            messages = List.copyOf(messages);
        }

        /** The conversation with {@code system} first, unless it has a system turn or {@code system} is empty. */
        public List<ChatMessage> withSystem(String system) {
            if (system == null || system.isEmpty() || messages.get(0).role().equals("system")) {
                return messages;
            }
            List<ChatMessage> all = new ArrayList<>();
            all.add(ChatMessage.system(system));
            all.addAll(messages);
            return all;
        }
    }

    public static List<Query> load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("no data file " + file);
        }
        Errors errors = new Errors(file, false);
        List<Query> queries = new ArrayList<>();
        errors.countFile();
        DataFiles.readJson(file, errors, record -> {
            try {
                queries.add(query(record.node()));
            } catch (BadRecord e) {
                errors.add(record.file(), record.line(), e.getMessage());
            }
        });
        errors.throwUnlessSkipping();
        errors.requireExamples(queries.size(), "queries ({\"query\"} or {\"messages\"} lines)");
        return queries;
    }

    private static Query query(JsonNode record) throws BadRecord {
        DataFiles.requireObject(record);
        if (record.has("query")) {
            String query = DataFiles.text(record, "query", "");
            return new Query(query, List.of(ChatMessage.user(query)));
        }
        if (!Conversations.present(record)) {
            throw new BadRecord("expected a field 'query' (a string) or 'messages' (a conversation ending with the user's turn)");
        }
        List<ChatMessage> messages = Conversations.read(record, Conversations.Ending.QUERY);
        return new Query(messages.get(messages.size() - 1).content(), messages);
    }

    /** Writes {@code {"Input", "Output"}} lines, one per query, in order. */
    public static void writeAnswers(Path file, List<Query> queries, List<String> answers) throws IOException {
        if (queries.size() != answers.size()) {
            throw new IllegalArgumentException(queries.size() + " queries but " + answers.size() + " answers");
        }
        try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (int i = 0; i < queries.size(); i++) {
                ObjectNode line = JSON.createObjectNode();
                line.put("Input", queries.get(i).input());
                line.put("Output", answers.get(i));
                out.write(JSON.writeValueAsString(line));
                out.write('\n');
            }
        }
    }
}

package org.mmgpt.engine.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.chat.ChatTemplate;
import org.mmgpt.engine.chat.ChatTemplates;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * {@code mmgpt template}: the exact prompt a model sees for a conversation. Template mismatch between
 * training and serving is the seed users' most reported problem; this shows what the model sees.
 * Reads only the tokenizer files of the model directory.
 */
final class TemplateCommand implements Command {
    @Override
    public String name() {
        return "template";
    }

    @Override
    public Args options() {
        return new Args(name(), "print the formatted prompt of a conversation (what the model sees)")
                .option("model", "DIR", null, "model (or tokenizer) directory")
                .option("messages", "FILE.json", null, "a JSON list of {role, content} (or {\"messages\": [...]})")
                .option("template", "NAME", null, "named template (default: the model's chat_template)")
                .flag("add-generation-prompt", "end where the assistant's reply begins")
                .repeatable("set", "KEY=VALUE", "a template variable, e.g. enable_thinking=false (repeatable)")
                .flag("json", "print {\"text\": ..., \"ids\": [...]}");
    }

    @Override
    public void run(Args a) throws Exception {
        List<ChatMessage> messages = readMessages(Path.of(a.require("messages")));
        Map<String, Object> vars = new LinkedHashMap<>();
        for (String kv : a.all("set")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new Args.UsageException("--set takes KEY=VALUE, got '" + kv + "'");
            }
            vars.put(kv.substring(0, eq), value(kv.substring(eq + 1)));
        }
        try (Tokenizer tok = Tokenizer.load(Path.of(a.require("model")))) {
            ChatTemplate template = ChatTemplates.resolve(a.get("template"), tok);
            String text = template.render(messages, a.getBool("add-generation-prompt"), vars);
            PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
            if (a.getBool("json")) {
                ObjectMapper json = new ObjectMapper();
                ObjectNode o = json.createObjectNode();
                o.put("text", text);
                var ids = o.putArray("ids");
                for (long id : tok.encode(text)) {
                    ids.add(id);
                }
                out.println(json.writeValueAsString(o));
            } else {
                out.print(text);
                out.flush();
            }
        }
    }

    /** A --set value as the template should see it: booleans and numbers typed, else text. */
    static Object value(String v) {
        if (v.equals("true") || v.equals("false")) {
            return Boolean.parseBoolean(v);
        }
        try {
            return v.contains(".") ? (Object) Double.parseDouble(v) : (Object) Long.parseLong(v);
        } catch (NumberFormatException e) {
            return v;
        }
    }

    static List<ChatMessage> readMessages(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        JsonNode list = root.isObject() ? root.path("messages") : root;
        if (!list.isArray() || list.isEmpty()) {
            throw new IllegalArgumentException(file + ": expected a non-empty list of {role, content}");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode m = list.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new IllegalArgumentException(file + ": message " + i + " needs string fields role and content");
            }
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        return out;
    }
}

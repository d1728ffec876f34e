package org.mmgpt.gateway.openai;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import org.mmgpt.gateway.inference.ServingConfig;
import org.mmgpt.protocol.inference.ChatMessage;
import org.mmgpt.protocol.inference.ModelCatalog;
import org.mmgpt.protocol.inference.ModelNotFoundException;
import org.mmgpt.protocol.inference.Sampling;
import org.mmgpt.protocol.inference.ServedModel;

/**
 * Turns request bodies of the serving endpoints into what a worker is asked, with OpenAI-shaped 400s
 * for every field that is wrong or not implemented, and 404 for a model that is not in storage.
 *
 * <p>Sampling fields (OpenAI's and vLLM's names) are honoured exactly: {@code max_tokens} /
 * {@code max_completion_tokens}, {@code temperature}, {@code top_p}, {@code top_k},
 * {@code presence_penalty}, {@code frequency_penalty}, {@code repetition_penalty}, {@code seed},
 * {@code stop}, {@code stop_token_ids}, {@code n}. An absent field takes the model's default.
 */
@ApplicationScoped
public class OpenAiRequests {

    /** Fields of OpenAI's and vLLM's chat and completion APIs that this server does not implement. */
    static final Set<String> NOT_IMPLEMENTED = Set.of("logit_bias", "logprobs", "top_logprobs", "tools", "tool_choice",
            "functions", "function_call", "parallel_tool_calls", "response_format", "audio", "modalities", "prediction",
            "reasoning_effort", "service_tier", "store", "metadata", "web_search_options", "user", "verbosity", "suffix",
            "best_of", "echo", "min_p", "min_tokens", "ignore_eos", "include_stop_str_in_output", "skip_special_tokens",
            "spaces_between_special_tokens", "use_beam_search", "length_penalty", "guided_json", "guided_regex",
            "guided_choice", "guided_grammar", "add_generation_prompt", "continue_final_message", "chat_template",
            "chat_template_kwargs", "truncate_prompt_tokens", "prompt_logprobs", "add_special_tokens", "documents");
    private static final int MAX_STOP_STRINGS = 4;

    @Inject
    ServingConfig config;
    @Inject
    ModelCatalog catalog;

    /** A chat completion request. */
    public record Chat(String model, List<ChatMessage> messages, Sampling sampling, int n, boolean stream,
            boolean includeUsage) {
    }

    /** A (legacy) completion request. */
    public record Completion(String model, String prompt, Sampling sampling, int n, boolean stream,
            boolean includeUsage, boolean echo) {
    }

    /**
     * A turn of the seed's /chat: {@code message}, {@code history} as [question, answer] pairs,
     * {@code system}; {@code model} (default: {@link #defaultModel()}).
     */
    public record ChatTurn(String model, String message, List<List<String>> history, List<ChatMessage> messages,
            Sampling sampling, boolean stream) {
    }

    public ChatTurn chatTurn(byte[] body) {
        RequestReader r = RequestReader.of(body, config.maxRequestBytes());
        String named = r.text("model", false);
        String model = named == null ? defaultModel() : model(named);
        String message = r.text("message", true);
        String system = r.text("system", false);
        List<List<String>> history = history(r.node("history"));
        Sampling sampling = sampling(r, false);
        boolean stream = Boolean.TRUE.equals(r.bool("stream"));
        r.finish(NOT_IMPLEMENTED);
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null && !system.isEmpty()) {
            messages.add(new ChatMessage("system", system));
        }
        for (List<String> pair : history) {
            messages.add(new ChatMessage("user", pair.get(0)));
            messages.add(new ChatMessage("assistant", pair.get(1)));
        }
        messages.add(new ChatMessage("user", message));
        return new ChatTurn(model, message, history, messages, sampling, stream);
    }

    private static List<List<String>> history(JsonNode history) {
        if (history == null) {
            return List.of();
        }
        List<List<String>> pairs = new ArrayList<>();
        if (history.isArray()) {
            for (JsonNode pair : history) {
                if (!pair.isArray() || pair.size() != 2 || !pair.get(0).isTextual() || !pair.get(1).isTextual()) {
                    throw RequestReader.wrongType("history", "a list of [question, answer] pairs of strings", history);
                }
                pairs.add(List.of(pair.get(0).asText(), pair.get(1).asText()));
            }
            return pairs;
        }
        throw RequestReader.wrongType("history", "a list of [question, answer] pairs of strings", history);
    }

    public Chat chat(byte[] body) {
        RequestReader r = RequestReader.of(body, config.maxRequestBytes());
        String model = model(r.text("model", true));
        List<ChatMessage> messages = messages(r.node("messages"));
        if (Boolean.TRUE.equals(r.bool("logprobs"))) {
            throw OpenAiException.unsupported("logprobs");
        }
        Sampling sampling = sampling(r, true);
        int n = choices(r);
        boolean stream = Boolean.TRUE.equals(r.bool("stream"));
        boolean usage = streamOptions(r, stream);
        r.finish(NOT_IMPLEMENTED);
        return new Chat(model, messages, sampling, n, stream, usage);
    }

    public Completion completion(byte[] body) {
        RequestReader r = RequestReader.of(body, config.maxRequestBytes());
        String model = model(r.text("model", true));
        JsonNode prompt = r.node("prompt");
        if (prompt == null) {
            throw OpenAiException.invalid("prompt", "Missing required parameter: 'prompt'.");
        }
        if (!prompt.isTextual()) {
            throw RequestReader.wrongType("prompt", "a string (lists of prompts and token ids are not supported)", prompt);
        }
        boolean echo = Boolean.TRUE.equals(r.bool("echo"));
        Sampling sampling = sampling(r, false);
        int n = choices(r);
        boolean stream = Boolean.TRUE.equals(r.bool("stream"));
        boolean usage = streamOptions(r, stream);
        r.finish(NOT_IMPLEMENTED);
        return new Completion(model, prompt.asText(), sampling, n, stream, usage, echo);
    }

    /** The model id as the catalogue has it, or 404 when storage has no such model. */
    public String model(String id) {
        try {
            return catalog.resolve(id).id();
        } catch (ModelNotFoundException e) {
            throw OpenAiException.modelNotFound("The model '" + id + "' does not exist: " + e.getMessage());
        }
    }

    /** The model for a request that names none: the configured default, or the only model there is. */
    public String defaultModel() {
        if (config.defaultModel().isPresent()) {
            return model(config.defaultModel().get());
        }
        List<String> ids;
        try {
            ids = catalog.list().stream().map(ServedModel::id).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (ids.size() != 1) {
            throw OpenAiException.invalid("model", "Missing required parameter: 'model' (" + (ids.isEmpty()
                    ? "storage holds no model" : "one of " + String.join(", ", ids)) + ").");
        }
        return ids.get(0);
    }

    /**
     * The sampling fields. {@code chat}: the limit may come as {@code max_completion_tokens} (OpenAI's
     * newer name) or {@code max_tokens}, not both.
     */
    Sampling sampling(RequestReader r, boolean chat) {
        Long maxTokens = r.integer("max_tokens", 1, config.maxTokens());
        if (chat) {
            Long newer = r.integer("max_completion_tokens", 1, config.maxTokens());
            if (maxTokens != null && newer != null) {
                throw OpenAiException.invalid("max_completion_tokens", "Give max_tokens or max_completion_tokens, not both.");
            }
            maxTokens = maxTokens != null ? maxTokens : newer;
        }
        Long topK = r.integer("top_k", -1, Integer.MAX_VALUE);
        return new Sampling(maxTokens == null ? null : maxTokens.intValue(),
                r.number("temperature", 0, false, 2),
                r.number("top_p", 0, true, 1),
                topK == null || topK <= 0 ? null : topK.intValue(), // -1 and 0 mean "off", vLLM's way
                r.number("repetition_penalty", 0, true, 10),
                r.number("presence_penalty", -2, false, 2),
                r.number("frequency_penalty", -2, false, 2),
                r.integer("seed", Long.MIN_VALUE, Long.MAX_VALUE),
                r.strings("stop", MAX_STOP_STRINGS),
                r.ids("stop_token_ids"));
    }

    private int choices(RequestReader r) {
        Long n = r.integer("n", 1, config.maxChoices());
        return n == null ? 1 : n.intValue();
    }

    /** {@code stream_options.include_usage}; stream_options only goes with {@code stream: true}. */
    private static boolean streamOptions(RequestReader r, boolean stream) {
        JsonNode options = r.node("stream_options");
        if (options == null) {
            return false;
        }
        if (!stream) {
            throw OpenAiException.invalid("stream_options", "stream_options is only allowed when stream is true.");
        }
        if (!options.isObject()) {
            throw RequestReader.wrongType("stream_options", "an object", options);
        }
        boolean usage = false;
        for (Iterator<String> it = options.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            JsonNode value = options.get(name);
            if (!name.equals("include_usage")) {
                throw OpenAiException.unsupported("stream_options." + name);
            }
            if (!value.isBoolean() && !value.isNull()) {
                throw RequestReader.wrongType("stream_options.include_usage", "a boolean", value);
            }
            usage = value.asBoolean(false);
        }
        return usage;
    }

    /** Roles system, user and assistant; content a string or a list of text parts. */
    private static List<ChatMessage> messages(JsonNode list) {
        if (list == null) {
            throw OpenAiException.invalid("messages", "Missing required parameter: 'messages'.");
        }
        if (!list.isArray() || list.isEmpty()) {
            throw OpenAiException.invalid("messages", "Invalid 'messages': expected a non-empty list of messages.");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (int i = 0; i < list.size(); i++) {
            String where = "messages[" + i + "]";
            JsonNode m = list.get(i);
            if (!m.isObject()) {
                throw RequestReader.wrongType(where, "an object", m);
            }
            for (Iterator<String> it = m.fieldNames(); it.hasNext(); ) {
                String name = it.next();
                if (!name.equals("role") && !name.equals("content") && !m.get(name).isNull()) {
                    throw OpenAiException.unsupported(where + "." + name);
                }
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || !Set.of("system", "user", "assistant").contains(role.asText())) {
                throw OpenAiException.invalid(where + ".role", "Invalid '" + where + ".role': expected 'system', 'user'"
                        + " or 'assistant' (tools and functions are not supported), got " + role + ".");
            }
            messages.add(new ChatMessage(role.asText(), content(m.get("content"), where + ".content")));
        }
        return messages;
    }

    private static String content(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            throw OpenAiException.invalid(where, "Missing required parameter: '" + where + "'.");
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (!content.isArray()) {
            throw RequestReader.wrongType(where, "a string or a list of text parts", content);
        }
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < content.size(); i++) {
            JsonNode part = content.get(i);
            if (!part.path("type").asText().equals("text") || !part.path("text").isTextual()) {
                throw OpenAiException.invalid(where + "[" + i + "]", "Invalid '" + where + "[" + i + "]': only"
                        + " {\"type\": \"text\", \"text\": ...} parts are supported, got " + part + ".");
            }
            texts.add(part.get("text").asText());
        }
        return String.join("\n", texts);
    }
}

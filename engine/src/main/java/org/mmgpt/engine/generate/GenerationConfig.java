package org.mmgpt.engine.generate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * A model's {@code generation_config.json}: its end-of-sequence ids and sampling defaults. Missing
 * file or fields take transformers' defaults (greedy, temperature 1, top-k 50, top-p 1).
 */
public record GenerationConfig(Set<Long> eosTokenIds, Long padTokenId, boolean doSample, float temperature,
                               int topK, float topP, float repetitionPenalty, Integer maxNewTokens) {

    public static final GenerationConfig DEFAULTS =
            new GenerationConfig(Set.of(), null, false, 1.0f, 50, 1.0f, 1.0f, null);

    public static GenerationConfig read(Path modelDir) {
        Path file = modelDir.resolve("generation_config.json");
        if (!Files.isRegularFile(file)) {
            return DEFAULTS;
        }
        try {
            JsonNode g = new ObjectMapper().readTree(file.toFile());
            Set<Long> eos = new LinkedHashSet<>();
            JsonNode e = g.path("eos_token_id");
            if (e.isNumber()) {
                eos.add(e.asLong());
            } else if (e.isArray()) {
                e.forEach(x -> eos.add(x.asLong()));
            }
            return new GenerationConfig(Set.copyOf(eos),
                    g.path("pad_token_id").isNumber() ? g.get("pad_token_id").asLong() : null,
                    g.path("do_sample").asBoolean(false),
                    (float) g.path("temperature").asDouble(1.0),
                    g.path("top_k").asInt(50),
                    (float) g.path("top_p").asDouble(1.0),
                    (float) g.path("repetition_penalty").asDouble(1.0),
                    g.path("max_new_tokens").isNumber() ? g.get("max_new_tokens").asInt() : null);
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read " + file + ": " + ex.getMessage(), ex);
        }
    }

    /** generation_config.json as transformers writes it. */
    public void write(Path modelDir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode g = json.createObjectNode();
        var eos = g.putArray("eos_token_id");
        eosTokenIds.stream().sorted().forEach(eos::add);
        if (padTokenId != null) {
            g.put("pad_token_id", padTokenId);
        }
        g.put("do_sample", doSample);
        g.put("temperature", temperature);
        g.put("top_k", topK);
        g.put("top_p", topP);
        g.put("repetition_penalty", repetitionPenalty);
        if (maxNewTokens != null) {
            g.put("max_new_tokens", maxNewTokens);
        }
        Files.writeString(modelDir.resolve("generation_config.json"),
                json.writerWithDefaultPrettyPrinter().writeValueAsString(g) + "\n");
    }

    /** The same settings with other end-of-sequence ids (e.g. the tokenizer's eos added). */
    public GenerationConfig withEos(Set<Long> ids) {
        return new GenerationConfig(Set.copyOf(ids), padTokenId, doSample, temperature, topK, topP,
                repetitionPenalty, maxNewTokens);
    }
}

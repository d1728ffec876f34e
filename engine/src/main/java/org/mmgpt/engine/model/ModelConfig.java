package org.mmgpt.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What a decoder needs from a Hugging Face {@code config.json}. One decoder serves four
 * architectures; the differences between them are the fields below, never a subclass:
 *
 * <ul>
 *   <li>{@code Qwen2ForCausalLM}: biases on q/k/v ({@code attentionBias}).
 *   <li>{@code LlamaForCausalLM}: {@code attention_bias}/{@code mlp_bias} flags, llama3 rope scaling.
 *   <li>{@code MistralForCausalLM}: a sliding attention window.
 *   <li>{@code Qwen3ForCausalLM}: per-head RMSNorm on q and k ({@code qkNorm}), explicit {@code head_dim}.
 * </ul>
 *
 * Both config styles are read: transformers 4 ({@code rope_theta}, {@code rope_scaling},
 * {@code torch_dtype}) and transformers 5 ({@code rope_parameters}, {@code dtype}). Anything the
 * decoder would compute wrongly (an unknown architecture, rope type, activation) fails here, at load,
 * with a message naming it.
 */
public record ModelConfig(
        String architecture,
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        double rmsNormEps,
        Rope rope,
        int maxPositionEmbeddings,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean outputBias,
        boolean mlpBias,
        boolean qkNorm,
        List<Integer> slidingWindows,
        String dtype,
        Integer bosTokenId,
        List<Integer> eosTokenIds,
        Integer padTokenId) {

    public static final List<String> ARCHITECTURES = List.of(
            "Qwen2ForCausalLM", "LlamaForCausalLM", "MistralForCausalLM", "Qwen3ForCausalLM");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Rotary position embedding parameters. {@code type} is one of {@code default}, {@code linear},
     * {@code llama3}; {@code factor} and the llama3 fields are unused for {@code default}.
     */
    public record Rope(String type, double theta, double factor, double lowFreqFactor,
                       double highFreqFactor, int originalMaxPositions) {
        public static final List<String> TYPES = List.of("default", "linear", "llama3");

        public static Rope plain(double theta) {
            return new Rope("default", theta, 1.0, 0, 0, 0);
        }
    }

    public int kvGroups() {
        return numHeads / numKvHeads;
    }

    /** The sliding window of layer {@code i}, or 0 when it attends to the whole past. */
    public int slidingWindow(int layer) {
        return slidingWindows.get(layer);
    }

    public static ModelConfig read(Path configJson) {
        JsonNode root;
        try {
            root = JSON.readTree(configJson.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model config " + configJson + ": " + e.getMessage(), e);
        }
        try {
            return fromJson(root);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    public static ModelConfig fromJson(JsonNode c) {
        String arch = c.path("architectures").path(0).asText("");
        if (!ARCHITECTURES.contains(arch)) {
            throw new IllegalArgumentException("unsupported architecture '" + arch
                    + "'; supported: " + ARCHITECTURES);
        }
        String act = c.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new IllegalArgumentException("unsupported hidden_act '" + act + "' (only silu, the SwiGLU MLP)");
        }
        int hidden = required(c, "hidden_size");
        int heads = required(c, "num_attention_heads");
        int kvHeads = c.path("num_key_value_heads").isNumber() ? c.get("num_key_value_heads").asInt() : heads;
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        int headDim = c.path("head_dim").isNumber() ? c.get("head_dim").asInt() : hidden / heads;
        int layers = required(c, "num_hidden_layers");
        boolean qwen2 = arch.equals("Qwen2ForCausalLM");
        boolean qwen3 = arch.equals("Qwen3ForCausalLM");
        if (c.path("partial_rotary_factor").isNumber() && c.get("partial_rotary_factor").asDouble() != 1.0) {
            throw new IllegalArgumentException("unsupported partial_rotary_factor "
                    + c.get("partial_rotary_factor").asDouble());
        }
        if (c.path("pretraining_tp").asInt(1) != 1) {
            throw new IllegalArgumentException("unsupported pretraining_tp " + c.get("pretraining_tp").asInt()
                    + " (only 1)");
        }
        return new ModelConfig(
                arch,
                c.path("model_type").asText(""),
                required(c, "vocab_size"),
                hidden,
                required(c, "intermediate_size"),
                layers,
                heads,
                kvHeads,
                headDim,
                c.path("rms_norm_eps").asDouble(1e-6),
                readRope(c),
                c.path("max_position_embeddings").asInt(32768),
                c.path("tie_word_embeddings").asBoolean(false),
                // Qwen2 always has q/k/v biases; the others say so with attention_bias (o_proj too).
                qwen2 || c.path("attention_bias").asBoolean(false),
                !qwen2 && c.path("attention_bias").asBoolean(false),
                c.path("mlp_bias").asBoolean(false),
                qwen3,
                readSlidingWindows(c, arch, layers),
                c.has("dtype") ? c.get("dtype").asText("float32") : c.path("torch_dtype").asText("float32"),
                c.path("bos_token_id").isNumber() ? c.get("bos_token_id").asInt() : null,
                intList(c.path("eos_token_id")),
                c.path("pad_token_id").isNumber() ? c.get("pad_token_id").asInt() : null);
    }

    private static int required(JsonNode c, String field) {
        if (!c.path(field).isNumber()) {
            throw new IllegalArgumentException("missing or non-numeric '" + field + "'");
        }
        return c.get(field).asInt();
    }

    static List<Integer> intList(JsonNode n) {
        List<Integer> out = new ArrayList<>();
        if (n.isNumber()) {
            out.add(n.asInt());
        } else if (n.isArray()) {
            n.forEach(x -> out.add(x.asInt()));
        }
        return List.copyOf(out);
    }

    /** transformers 5 nests everything in rope_parameters; transformers 4 has rope_theta + rope_scaling. */
    private static Rope readRope(JsonNode c) {
        JsonNode params = c.path("rope_parameters");
        JsonNode scaling = params.isObject() ? params : c.path("rope_scaling");
        double theta = params.path("rope_theta").isNumber()
                ? params.get("rope_theta").asDouble()
                : c.path("rope_theta").asDouble(10000.0);
        if (!scaling.isObject()) {
            return Rope.plain(theta);
        }
        String type = scaling.has("rope_type") ? scaling.get("rope_type").asText() : scaling.path("type").asText("default");
        if (!Rope.TYPES.contains(type)) {
            throw new IllegalArgumentException("unsupported rope type '" + type + "'; supported: " + Rope.TYPES);
        }
        if (type.equals("default")) {
            return Rope.plain(theta);
        }
        double factor = scaling.path("factor").asDouble(Double.NaN);
        if (!(factor > 0)) {
            throw new IllegalArgumentException("rope type '" + type + "' needs a positive 'factor'");
        }
        if (type.equals("linear")) {
            return new Rope(type, theta, factor, 0, 0, 0);
        }
        return new Rope(type, theta, factor,
                scaling.path("low_freq_factor").asDouble(1.0),
                scaling.path("high_freq_factor").asDouble(4.0),
                scaling.path("original_max_position_embeddings").asInt(8192));
    }

    /**
     * Per-layer sliding windows (0 = none), as transformers decides them: Mistral applies
     * {@code sliding_window} to every layer; Qwen2/Qwen3 only when {@code use_sliding_window} is set,
     * and then to the layers that {@code layer_types} (or {@code max_window_layers}) mark as sliding.
     */
    private static List<Integer> readSlidingWindows(JsonNode c, String arch, int layers) {
        int window = c.path("sliding_window").isNumber() ? c.get("sliding_window").asInt() : 0;
        List<Integer> out = new ArrayList<>();
        JsonNode types = c.path("layer_types");
        boolean qwen = arch.startsWith("Qwen");
        boolean useSliding = !qwen || c.path("use_sliding_window").asBoolean(false);
        int maxWindowLayers = c.path("max_window_layers").asInt(layers);
        for (int i = 0; i < layers; i++) {
            boolean sliding;
            if (types.isArray() && types.size() == layers) {
                sliding = types.get(i).asText().equals("sliding_attention");
            } else {
                sliding = useSliding && (!qwen || i >= maxWindowLayers);
            }
            out.add(sliding && useSliding ? window : 0);
        }
        return List.copyOf(out);
    }

    /** A config.json in the transformers-4 style that both transformers 4 and 5 read. */
    public ObjectNode toJson() {
        ObjectNode c = JSON.createObjectNode();
        c.putArray("architectures").add(architecture);
        c.put("model_type", modelType);
        c.put("vocab_size", vocabSize);
        c.put("hidden_size", hiddenSize);
        c.put("intermediate_size", intermediateSize);
        c.put("num_hidden_layers", numLayers);
        c.put("num_attention_heads", numHeads);
        c.put("num_key_value_heads", numKvHeads);
        c.put("head_dim", headDim);
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", rmsNormEps);
        c.put("rope_theta", rope.theta());
        if (rope.type().equals("default")) {
            c.putNull("rope_scaling");
        } else {
            ObjectNode s = c.putObject("rope_scaling");
            s.put("rope_type", rope.type());
            s.put("factor", rope.factor());
            if (rope.type().equals("llama3")) {
                s.put("low_freq_factor", rope.lowFreqFactor());
                s.put("high_freq_factor", rope.highFreqFactor());
                s.put("original_max_position_embeddings", rope.originalMaxPositions());
            }
        }
        c.put("max_position_embeddings", maxPositionEmbeddings);
        c.put("tie_word_embeddings", tieWordEmbeddings);
        if (!architecture.equals("Qwen2ForCausalLM")) {
            c.put("attention_bias", attentionBias);
        }
        if (architecture.equals("LlamaForCausalLM")) {
            c.put("mlp_bias", mlpBias);
        }
        int window = slidingWindows.stream().mapToInt(Integer::intValue).max().orElse(0);
        if (window > 0) {
            c.put("sliding_window", window);
            if (architecture.startsWith("Qwen")) {
                c.put("use_sliding_window", true);
                var types = c.putArray("layer_types");
                slidingWindows.forEach(w -> types.add(w > 0 ? "sliding_attention" : "full_attention"));
            }
        } else {
            c.putNull("sliding_window");
            if (architecture.startsWith("Qwen")) {
                c.put("use_sliding_window", false);
            }
        }
        c.put("torch_dtype", dtype);
        if (bosTokenId != null) {
            c.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.size() == 1) {
            c.put("eos_token_id", eosTokenIds.get(0));
        } else if (!eosTokenIds.isEmpty()) {
            var a = c.putArray("eos_token_id");
            eosTokenIds.forEach(a::add);
        }
        if (padTokenId != null) {
            c.put("pad_token_id", padTokenId);
        }
        c.put("use_cache", true);
        return c;
    }

    public void write(Path configJson) throws IOException {
        Files.writeString(configJson, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toJson()) + "\n");
    }

    /** Same model with every layer attending to at most {@code window} past tokens (0: no window). */
    public ModelConfig withSlidingWindow(int window) {
        return new ModelConfig(architecture, modelType, vocabSize, hiddenSize, intermediateSize, numLayers,
                numHeads, numKvHeads, headDim, rmsNormEps, rope, maxPositionEmbeddings, tieWordEmbeddings,
                attentionBias, outputBias, mlpBias, qkNorm, java.util.Collections.nCopies(numLayers, window), dtype,
                bosTokenId, eosTokenIds, padTokenId);
    }

    /** Same model, other dtype on disk (the dtype a merge or a checkpoint writes). */
    public ModelConfig withDtype(String newDtype) {
        return new ModelConfig(architecture, modelType, vocabSize, hiddenSize, intermediateSize, numLayers,
                numHeads, numKvHeads, headDim, rmsNormEps, rope, maxPositionEmbeddings, tieWordEmbeddings,
                attentionBias, outputBias, mlpBias, qkNorm, slidingWindows, newDtype, bosTokenId, eosTokenIds,
                padTokenId);
    }
}

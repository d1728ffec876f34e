package org.mmgpt.engine.model;

import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Named sizes for a new model ({@code init-model --preset}). The shapes are Qwen2-style; the
 * architecture can be switched to test the other decoders.
 */
public final class ModelPresets {

    /** The shape of a preset; the vocabulary comes from the tokenizer. */
    public record Shape(int hidden, int layers, int heads, int kvHeads, int intermediate, int maxPositions,
                        boolean tied) {}

    private static final Map<String, Shape> PRESETS = Map.of(
            // ~0.1M non-embedding parameters: for checking architectures against other implementations.
            "micro", new Shape(64, 2, 4, 2, 128, 1024, true),
            // ~2.9M non-embedding parameters: trains on two CPU cores in minutes.
            "tiny", new Shape(256, 4, 4, 2, 704, 4096, true),
            // The 32M-parameter shape the benchmarks use (docs/benchmarks.md).
            "small", new Shape(512, 8, 8, 4, 1408, 4096, false),
            // ~100M non-embedding parameters, for a real GPU.
            "base", new Shape(768, 12, 12, 4, 2048, 8192, true));

    public static final List<String> ARCHITECTURES = List.of("qwen2", "qwen3", "llama", "mistral");

    private ModelPresets() {}

    public static List<String> names() {
        return PRESETS.keySet().stream().sorted().toList();
    }

    public static Shape get(String name) {
        Shape s = PRESETS.get(name);
        if (s == null) {
            throw new IllegalArgumentException("unknown preset '" + name + "'; choose from " + names());
        }
        return s;
    }

    /**
     * The config of a new model.
     *
     * @param arch qwen2, qwen3, llama or mistral
     * @param rope the rotary parameters (plain θ, or llama3/linear scaling); a scaled model's context is
     *             the preset's times the factor, as transformers expects of Llama 3.x
     */
    public static ModelConfig config(Shape s, String arch, int vocabSize, ModelConfig.Rope rope, String dtype,
                                     Integer bos, List<Integer> eos, Integer pad) {
        int headDim = s.hidden() / s.heads();
        String architecture;
        String type;
        boolean qkvBias = false;
        boolean qkNorm = false;
        switch (arch) {
            case "qwen2" -> {
                architecture = "Qwen2ForCausalLM";
                type = "qwen2";
                qkvBias = true;
            }
            case "qwen3" -> {
                architecture = "Qwen3ForCausalLM";
                type = "qwen3";
                qkNorm = true;
                headDim = headDim * 2; // Qwen3 decouples head_dim from hidden/heads; exercise that
            }
            case "llama" -> {
                architecture = "LlamaForCausalLM";
                type = "llama";
            }
            case "mistral" -> {
                architecture = "MistralForCausalLM";
                type = "mistral";
            }
            default -> throw new IllegalArgumentException("unknown architecture '" + arch + "'; choose from "
                    + ARCHITECTURES);
        }
        int maxPositions = (int) Math.round(s.maxPositions() * rope.factor()); // factor 1 when not scaled
        return new ModelConfig(architecture, type, vocabSize, s.hidden(), s.intermediate(), s.layers(), s.heads(),
                s.kvHeads(), headDim, 1e-6, rope, maxPositions, s.tied(), qkvBias, false, false, qkNorm,
                Collections.nCopies(s.layers(), 0), dtype, bos, eos, pad);
    }
}

package org.mmgpt.engine.model;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.generate.GenerationConfig;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * A new, randomly initialised model directory of a size preset ({@code mmgpt init-model}): config,
 * generation config, weights and the tokenizer's files, staged and renamed into place.
 *
 * @param tokenizer tokenizer files to copy and size the vocabulary by; null for a model without text
 * @param vocabSize null: the tokenizer's size rounded up to a multiple of 64
 * @param slidingWindow 0: none
 */
public record NewModel(String preset, String arch, Path tokenizer, Integer vocabSize, String dtype,
                       ModelConfig.Rope rope, int slidingWindow, long seed) {

    public static final List<String> DTYPES = List.of("float32", "float16", "bfloat16");

    public NewModel {
        if (!DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("dtype must be one of " + DTYPES + ", got " + dtype);
        }
        if (tokenizer == null && vocabSize == null) {
            throw new IllegalArgumentException("a model without a tokenizer needs a vocabulary size");
        }
    }

    /** A Qwen2 model of {@code preset} with the given tokenizer, float32, plain rope. */
    public static NewModel qwen2(String preset, Path tokenizer, long seed) {
        return new NewModel(preset, "qwen2", tokenizer, null, "float32", ModelConfig.Rope.plain(1e6), 0, seed);
    }

    /** Writes the model into {@code out} (absent or empty) and returns a one-line description. */
    public String write(Path out) throws IOException {
        Djl.init();
        if (Files.exists(out.resolve("config.json"))) {
            throw new IllegalArgumentException(out + " already holds a model (config.json); choose another directory");
        }
        int vocab;
        List<Integer> eos = new ArrayList<>();
        Integer bos = null;
        Integer pad = null;
        if (tokenizer != null) {
            try (Tokenizer tok = Tokenizer.load(tokenizer)) {
                vocab = vocabSize != null ? vocabSize : (tok.vocabSize() + 63) / 64 * 64;
                if (vocab < tok.vocabSize()) {
                    throw new IllegalArgumentException("vocabulary size " + vocab + " is below the tokenizer's "
                            + tok.vocabSize());
                }
                tok.eosTokenId().ifPresent(id -> eos.add((int) id));
                bos = tok.bosTokenId().isPresent() ? (int) tok.bosTokenId().getAsLong() : null;
                pad = (int) tok.padTokenId();
            }
        } else {
            vocab = vocabSize;
        }
        ModelConfig config = ModelPresets.config(ModelPresets.get(preset), arch, vocab, rope, dtype, bos, eos, pad)
                .withSlidingWindow(slidingWindow);
        Path staging = Files.createDirectories(out.toAbsolutePath().getParent()).resolve("." + out.getFileName() + ".tmp");
        try (CausalLM model = CausalLM.build(config, new RandomInit(seed, 0.02), NDManager.newBaseManager())) {
            Files.createDirectories(staging);
            var generation = new GenerationConfig(Set.copyOf(eos.stream().map(Integer::longValue).toList()),
                    pad == null ? null : pad.longValue(), false, 1.0f, 50, 1.0f, 1.0f, null);
            ModelWriter.write(model, staging, generation, ModelWriter.DEFAULT_MAX_SHARD_BYTES);
            if (tokenizer != null) {
                ModelWriter.copyTokenizer(tokenizer, staging);
            }
            if (Files.isDirectory(out)) {
                Files.delete(out); // an empty directory left for us (a non-empty one fails here)
            }
            Files.move(staging, out); // a reader never sees half a model
            long nonEmbed = model.parameterCount() - (long) vocab * config.hiddenSize() * (config.tieWordEmbeddings() ? 1 : 2);
            return String.format("wrote %s: %s %s, %.2fM parameters (%.2fM non-embedding), vocab %d, %s on disk", out,
                    preset, config.architecture(), model.parameterCount() / 1e6, nonEmbed / 1e6, vocab, dtype);
        }
    }
}

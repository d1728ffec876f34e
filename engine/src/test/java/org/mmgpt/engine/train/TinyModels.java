package org.mmgpt.engine.train;

import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.List;
import org.mmgpt.engine.generate.GenerationConfig;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelConfig;
import org.mmgpt.engine.model.ModelWriter;
import org.mmgpt.engine.model.RandomInit;
import org.mmgpt.engine.tokenizer.QwenTokenizer;

/** Very small Qwen2 models with the real Qwen2.5 tokenizer, written to disk for training tests. */
public final class TinyModels {
    private TinyModels() {}

    /** A 2-layer, 64-wide model (the vocabulary is the tokenizer's) in {@code dir}. */
    public static Path write(Path dir, long seed) throws IOException {
        ModelConfig c = new ModelConfig("Qwen2ForCausalLM", "qwen2", 151680, 64, 128, 2, 4, 2, 16, 1e-6,
                ModelConfig.Rope.plain(1e6), 1024, true, true, false, false, false, Collections.nCopies(2, 0),
                "float32", null, List.of(151645), 151643);
        try (CausalLM model = CausalLM.build(c, new RandomInit(seed, 0.02), NDManager.newBaseManager())) {
            ModelWriter.write(model, dir, GenerationConfig.DEFAULTS.withEos(java.util.Set.of(151645L)),
                    ModelWriter.DEFAULT_MAX_SHARD_BYTES);
        }
        ModelWriter.copyTokenizer(QwenTokenizer.directory(), dir);
        return dir;
    }
}

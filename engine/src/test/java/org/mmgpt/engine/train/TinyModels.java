package org.mmgpt.engine.train;

import java.io.IOException;
import java.nio.file.Path;
import org.mmgpt.engine.model.NewModel;
import org.mmgpt.engine.tokenizer.QwenTokenizer;

/** Very small Qwen2 models with the real Qwen2.5 tokenizer, written to disk for training tests. */
public final class TinyModels {
    private TinyModels() {}

    /** The micro preset (2 layers, 64 wide; the vocabulary is the tokenizer's) in {@code dir}. */
    public static Path write(Path dir, long seed) throws IOException {
        NewModel.qwen2("micro", QwenTokenizer.directory(), seed).write(dir);
        return dir;
    }
}

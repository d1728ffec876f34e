package org.mmgpt.engine.model;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.mmgpt.engine.generate.GenerationConfig;

/**
 * Writes a complete Hugging Face model directory: config.json, generation_config.json, the weights
 * (sharded above a size limit) and the tokenizer files copied from another directory.
 */
public final class ModelWriter {
    /** transformers' save_pretrained default shard size. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 5L * 1024 * 1024 * 1024;

    /** The files that make up a tokenizer and its chat template in a model directory. */
    public static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "vocab.json", "merges.txt", "added_tokens.json", "chat_template.jinja",
            "chat_template.json", "tokenizer.model");

    private ModelWriter() {}

    /** Writes {@code model} into {@code dir} (created), weights stored as {@code model.config().dtype()}. */
    public static void write(CausalLM model, Path dir, GenerationConfig generation, long maxShardBytes)
            throws IOException {
        write(model, model.config().dtype(), dir, generation, maxShardBytes);
    }

    /** Writes {@code model} into {@code dir} (created) with its weights stored as {@code dtype}. */
    public static void write(CausalLM model, String dtype, Path dir, GenerationConfig generation, long maxShardBytes)
            throws IOException {
        Files.createDirectories(dir);
        model.config().withDtype(dtype).write(dir.resolve("config.json"));
        generation.write(dir);
        SafeTensorsWriter.writeModel(dir, model.weights(), SafeTensorsWriter.dtypeOf(dtype), maxShardBytes);
    }

    /** Copies whichever tokenizer files {@code from} has into {@code to}; returns how many. */
    public static int copyTokenizer(Path from, Path to) throws IOException {
        int n = 0;
        for (String f : TOKENIZER_FILES) {
            if (Files.isRegularFile(from.resolve(f))) {
                Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
                n++;
            }
        }
        return n;
    }
}

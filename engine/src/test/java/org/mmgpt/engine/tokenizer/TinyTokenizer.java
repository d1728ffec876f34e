package org.mmgpt.engine.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** A word-level tokenizer folder small enough to write in a test: hello, world, '.', <s>, </s>. */
public final class TinyTokenizer {
    static final String TOKENIZER_JSON = """
            {"version": "1.0", "truncation": null, "padding": null,
             "added_tokens": [
               {"id": 4, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
               {"id": 5, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
             "normalizer": null, "pre_tokenizer": {"type": "Whitespace"}, "post_processor": null,
             "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": false},
             "model": {"type": "WordLevel", "vocab": {"<unk>": 0, "hello": 1, "world": 2, ".": 3}, "unk_token": "<unk>"}}
            """;

    private TinyTokenizer() {}

    /** Writes tokenizer.json, and tokenizer_config.json unless {@code config} is null, into {@code dir}. */
    public static Tokenizer load(Path dir, String config) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON);
        if (config != null) {
            Files.writeString(dir.resolve("tokenizer_config.json"), config);
        }
        return Tokenizer.load(dir);
    }
}

package org.mmgpt.engine.tokenizer;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where tests find the real Qwen2.5 tokenizer: {@code <repo root>/models/qwen2.5-tokenizer}, fetched by
 * scripts/fetch-tokenizer.sh (never committed). The repo root is the first folder, walking up from the
 * working directory, that holds scripts/fetch-tokenizer.sh.
 */
public final class QwenTokenizer {
    private static Tokenizer shared;

    private QwenTokenizer() {}

    public static Path directory() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/fetch-tokenizer.sh"))) {
                Path dir = p.resolve("models/qwen2.5-tokenizer");
                if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                    throw new IllegalStateException("no tokenizer in " + dir + ": run scripts/fetch-tokenizer.sh");
                }
                return dir;
            }
        }
        throw new IllegalStateException("no scripts/fetch-tokenizer.sh above " + Path.of("").toAbsolutePath());
    }

    /** One instance for the whole test run: loading parses 7 MB of JSON. Never closed; the JVM ends. */
    public static synchronized Tokenizer get() {
        if (shared == null) {
            shared = Tokenizer.load(directory());
        }
        return shared;
    }
}

package org.mmgpt.engine;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the project's own fetched files are: the launcher passes the checkout as {@code mmgpt.home}. */
public final class ProjectFiles {
    private ProjectFiles() {}

    public static Path home() {
        return Path.of(System.getProperty("mmgpt.home", ".")).toAbsolutePath().normalize();
    }

    /** The Qwen2.5 tokenizer that scripts/fetch-tokenizer.sh puts in models/. */
    public static Path defaultTokenizer() {
        Path dir = home().resolve("models/qwen2.5-tokenizer");
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalArgumentException("no tokenizer in " + dir + ": run 'bash scripts/fetch-tokenizer.sh'"
                    + " or pass --tokenizer DIR");
        }
        return dir;
    }
}

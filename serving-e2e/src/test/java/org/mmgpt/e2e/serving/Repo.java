package org.mmgpt.e2e.serving;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root: the folder above holding scripts/fetch-tokenizer.sh. */
final class Repo {

    private Repo() {
    }

    static Path root() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/fetch-tokenizer.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }
}

package org.mmgpt.testsupport;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository's root, for tests run from any module: the first folder above holding scripts/fetch-tokenizer.sh. */
public final class RepoRoot {

    private RepoRoot() {
    }

    public static Path path() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("scripts/fetch-tokenizer.sh"))) {
                return p;
            }
        }
        throw new IllegalStateException("no repository root above " + Path.of("").toAbsolutePath());
    }
}

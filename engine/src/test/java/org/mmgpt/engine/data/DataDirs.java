package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;

/** Where the tests find data: the project's demo data, the shared reference data, test resources. */
public final class DataDirs {
    private DataDirs() {}

    /** {@code <repo>/data/<name>}: the repo root is the first folder up that holds data/README.md and pom.xml. */
    public static Path demo(String name) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("data/README.md")) && Files.isRegularFile(p.resolve("pom.xml"))) {
                return p.resolve("data").resolve(name);
            }
        }
        throw new IllegalStateException("no data/README.md above " + Path.of("").toAbsolutePath());
    }

    /**
     * {@code shared/reference-data/<name>}, found by walking up from the working directory to the folder
     * that holds shared/reference-data. CI has it; elsewhere the test is skipped, saying why.
     */
    public static Path reference(String name) {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path dir = p.resolve("shared/reference-data");
            if (Files.isDirectory(dir)) {
                return dir.resolve(name);
            }
        }
        assumeTrue(false, "no shared/reference-data above " + Path.of("").toAbsolutePath()
                + ": the reference-data tests need the shared folder beside the checkout");
        throw new AssertionError("unreachable");
    }

    /** A folder of src/test/resources/data. */
    static Path resource(String name) {
        Path dir = Path.of("src/test/resources/data").resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("no test resources in " + dir.toAbsolutePath());
        }
        return dir;
    }
}

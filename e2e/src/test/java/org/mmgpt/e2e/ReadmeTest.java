package org.mmgpt.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.train.TrainingArguments;
import org.mmgpt.protocol.params.Param;

/**
 * The READMEs say what the code does: every training parameter and job parameter is documented in
 * both, both give the command CI runs, and the Chinese one has the same sections and the same
 * commands as the English one.
 */
class ReadmeTest {

    private static final Path ROOT = Path.of(System.getProperty("mmgpt.e2e.root", "..")).toAbsolutePath().normalize();
    private static final String TEST_COMMAND = "bash scripts/test.sh";

    private static String read(String file) throws IOException {
        return Files.readString(ROOT.resolve(file), StandardCharsets.UTF_8);
    }

    @Test
    void everyTrainingParameterIsInTheTableOfBothReadmesAndEveryIgnoredOneIsNamed() throws IOException {
        for (String file : List.of("README.md", "README_zh.md")) {
            String readme = read(file);
            TreeSet<String> missing = new TreeSet<>();
            for (TrainingArguments.Option option : TrainingArguments.OPTIONS) {
                if (!readme.contains("| `" + option.name() + "` |")) {
                    missing.add(option.name());
                }
            }
            for (String ignored : TrainingArguments.IGNORED) {
                if (!readme.contains("`" + ignored + "`")) {
                    missing.add(ignored);
                }
            }
            for (Param param : Param.values()) {
                if (!readme.contains("`" + param.wireName() + "`")) {
                    missing.add(param.wireName());
                }
            }
            assertEquals(new TreeSet<String>(), missing, file + " does not document these parameters");
        }
    }

    @Test
    void theReadmesTestCommandIsWhatCiRuns() throws IOException {
        List<String> ci = read(".ci/run").lines().map(String::strip)
                .filter(line -> !line.isEmpty() && !line.startsWith("#") && !line.startsWith("set ") && !line.startsWith("cd "))
                .toList();
        assertEquals(List.of(TEST_COMMAND), ci, ".ci/run");
        for (String file : List.of("README.md", "README_zh.md")) {
            assertTrue(codeBlocks(read(file)).stream().anyMatch(block -> block.lines().anyMatch(
                    line -> line.startsWith(TEST_COMMAND + " ") || line.equals(TEST_COMMAND))), file);
        }
    }

    @Test
    void theChineseReadmeHasTheSameSectionsAndCommands() throws IOException {
        String en = read("README.md");
        String zh = read("README_zh.md");
        assertEquals(headingLevels(en), headingLevels(zh), "heading levels, in order");
        assertEquals(codeBlocks(en), codeBlocks(zh), "code blocks");
    }

    private static List<Integer> headingLevels(String markdown) {
        List<Integer> levels = new ArrayList<>();
        boolean code = false;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("```")) {
                code = !code;
            } else if (!code && line.startsWith("#")) {
                levels.add(line.indexOf(' '));
            }
        }
        return levels;
    }

    private static List<String> codeBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        StringBuilder block = null;
        for (String line : markdown.lines().toList()) {
            if (line.startsWith("```")) {
                if (block == null) {
                    block = new StringBuilder();
                } else {
                    blocks.add(block.toString());
                    block = null;
                }
            } else if (block != null) {
                block.append(line).append('\n');
            }
        }
        return blocks;
    }
}

package org.mmgpt.e2e.serving;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.mmgpt.testsupport.RepoRoot;

/**
 * Runs the scripts of serving-e2e/openai-client with Node, after installing the official openai package
 * from its package-lock.json (once, with npm ci), and reads the JSON line a script prints last.
 */
final class Node {

    private static final Path PROJECT = RepoRoot.path().resolve("serving-e2e/openai-client");

    private Node() {
    }

    static synchronized void install() throws IOException, InterruptedException {
        if (Files.isDirectory(PROJECT.resolve("node_modules/openai"))) {
            return;
        }
        run(List.of("npm", "ci", "--no-audit", "--no-fund"), Map.of(), 300);
    }

    /** Runs {@code script}; fails with its output unless it exits 0; returns its last line as JSON. */
    static JsonNode script(String script, Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        install();
        String out = run(List.of("node", script), env, timeoutSeconds);
        List<String> lines = out.lines().filter(l -> !l.isBlank()).toList();
        return new ObjectMapper().readTree(lines.get(lines.size() - 1));
    }

    private static String run(List<String> command, Map<String, String> env, long timeoutSeconds)
            throws IOException, InterruptedException {
        Path output = Files.createTempFile("mmgpt-node", ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(PROJECT.toFile()).redirectErrorStream(true)
                .redirectOutput(output.toFile());
        builder.environment().putAll(env);
        Process p = builder.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException(command + " ran over " + timeoutSeconds + " s:\n"
                    + Files.readString(output, StandardCharsets.UTF_8));
        }
        String text = Files.readString(output, StandardCharsets.UTF_8);
        Files.delete(output);
        if (p.exitValue() != 0) {
            throw new AssertionError(command + " failed (exit " + p.exitValue() + "):\n" + text);
        }
        return text;
    }
}

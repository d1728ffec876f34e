package org.mmgpt.gateway;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A real storage root for the gateway under test: data directories, a model, an adapter, a job's
 * work directory, and a link that leads outside the root.
 */
public class StorageFixture implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        try {
            Path base = Files.createTempDirectory(Files.createDirectories(Path.of("target").toAbsolutePath()), "storage-fixture");
            Path root = Files.createDirectories(base.resolve("storage"));
            Path outside = Files.createDirectories(base.resolve("outside"));
            write(root.resolve("data/pretrain/fever.txt"), "a passage\n");
            write(root.resolve("data/finetune/sft.jsonl"), "{\"conversations\":[]}\n");
            write(root.resolve("data/reward/dpo.jsonl"), "{\"question\":\"q\"}\n");
            write(root.resolve("models/base/config.json"), "{}");
            write(root.resolve("models/base/model.safetensors"), "weights");
            write(root.resolve("adapters/a1/adapter_config.json"), "{}");
            write(root.resolve("adapters/a1/adapter_model.safetensors"), "lora");
            write(root.resolve("jobs/job-old/checkpoints/checkpoint-5/adapter_config.json"), "{}");
            Files.createSymbolicLink(root.resolve("data/escape"), outside);
            return Map.of("mmgpt.storage.root", root.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void write(Path file, String content) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, content);
    }

    @Override
    public void stop() {
        // the directory stays under target/ for a look after a failure, and goes with mvn clean
    }
}

package org.mmgpt.engine.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import org.mmgpt.engine.generate.GenerationConfig;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelWriter;
import org.mmgpt.engine.tokenizer.Tokenizer;

/**
 * The seed's merge_peft_adapter.py: fold a LoRA adapter into its base and write a complete Hugging
 * Face model directory (weights in the base's dtype, sharded above a limit, config,
 * generation_config, tokenizer files and chat template copied from the base) — then prove it: the
 * merged model, loaded back from disk, must give base+adapter's logits on a probe input within 1e-4.
 * The check's result is printed by the caller and saved beside the model as merge_check.json.
 */
public final class LoraMerge {
    public static final double TOLERANCE = 1e-4;
    private static final String PROBE = "你好，我最近总是头痛发烧，应该怎么办？ Hello doctor, what should I do about a fever?";

    private LoraMerge() {}

    /** The verification of a merge. */
    public record Check(long[] probeIds, double maxAbsDiff, boolean passed) {}

    /** Merges {@code adapter} into {@code base}, writes {@code output} (staged, then renamed), verifies. */
    public static Check merge(Path base, Path adapter, Path output, long maxShardBytes) throws IOException {
        if (Files.exists(output) && (!Files.isDirectory(output) || Files.list(output).findAny().isPresent())) {
            throw new IllegalArgumentException(output + " exists and is not empty; choose another output directory");
        }
        Path parent = output.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path staging = parent.resolve("." + output.getFileName() + "." + UUID.randomUUID() + ".tmp");
        long[] probe;
        float[] expected;
        try (CausalLM model = CausalLM.load(base)) {
            probe = probeIds(base, model.config().vocabSize());
            LoraConfig config = PeftAdapter.load(model, adapter);
            expected = logits(model, probe);
            PeftAdapter.merge(model);
            ModelWriter.write(model, staging, GenerationConfig.read(base), maxShardBytes);
            ModelWriter.copyTokenizer(base, staging);
            Files.writeString(staging.resolve("merge_source.json"), new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(new ObjectMapper().createObjectNode().put("base_model", base.toString())
                            .put("lora_model", adapter.toString()).put("r", config.r()).put("lora_alpha", config.alpha())));
        } catch (RuntimeException | IOException e) {
            deleteQuietly(staging);
            throw e;
        }
        Check check;
        try (CausalLM merged = CausalLM.load(staging)) {
            float[] got = logits(merged, probe);
            double max = 0;
            for (int i = 0; i < got.length; i++) {
                max = Math.max(max, Math.abs(got[i] - expected[i]));
            }
            check = new Check(probe, max, max <= TOLERANCE);
        }
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.putPOJO("probe_ids", probe);
        json.put("max_abs_logit_diff", check.maxAbsDiff());
        json.put("tolerance", TOLERANCE);
        json.put("passed", check.passed());
        Files.writeString(staging.resolve("merge_check.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
        if (!check.passed()) {
            Path failed = parent.resolve(output.getFileName() + ".failed-check");
            Files.move(staging, failed, StandardCopyOption.REPLACE_EXISTING);
            throw new IllegalStateException("merged model differs from base+adapter by " + check.maxAbsDiff()
                    + " (> " + TOLERANCE + "); left in " + failed + " for inspection");
        }
        if (Files.isDirectory(output)) {
            Files.delete(output); // empty, checked above
        }
        Files.move(staging, output, StandardCopyOption.ATOMIC_MOVE);
        return check;
    }

    private static long[] probeIds(Path base, int vocab) {
        if (Files.isRegularFile(base.resolve("tokenizer.json"))) {
            try (Tokenizer tok = Tokenizer.load(base)) {
                return tok.encode(PROBE);
            }
        }
        long[] ids = new long[16];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 37L + 11) % vocab;
        }
        return ids;
    }

    private static float[] logits(CausalLM model, long[] ids) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray x = m.create(ids).expandDims(0);
            return model.logits(model.forward(x, null, null, null, false)).toFloatArray();
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            if (Files.exists(dir)) {
                try (var s = Files.walk(dir)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        } catch (IOException ignored) {
            // best effort: a leftover hidden staging folder is harmless
        }
    }
}

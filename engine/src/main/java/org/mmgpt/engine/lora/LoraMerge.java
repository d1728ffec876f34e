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
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.FileTrees;
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
 *
 * <p>The merged weights are written in float32 unless another dtype is asked for: rounding W + ΔW
 * to bfloat16 moves logits by far more than 1e-4, so a 16-bit merge is checked against that
 * dtype's own tolerance, and says so.
 */
public final class LoraMerge {
    public static final double TOLERANCE = 1e-4;

    /** The logit tolerance of a merge written in {@code dtype} (rounding the weights costs this much). */
    public static double tolerance(String dtype) {
        return switch (dtype) {
            case "bfloat16" -> 5e-2;
            case "float16" -> 5e-3;
            default -> TOLERANCE;
        };
    }
    private static final String PROBE = "你好，我最近总是头痛发烧，应该怎么办？ Hello doctor, what should I do about a fever?";

    private LoraMerge() {}

    /** The verification of a merge. */
    public record Check(long[] probeIds, double maxAbsDiff, double tolerance, String dtype, boolean passed) {}

    /**
     * Merges {@code adapter} into {@code base}, writes {@code output} (staged, then renamed), verifies.
     *
     * @param dtype weights on disk: float32, float16, bfloat16; null for float32
     */
    public static Check merge(Path base, Path adapter, Path output, long maxShardBytes, String dtype)
            throws IOException {
        Autograd.offOnThisThread();
        String written = dtype == null ? "float32" : dtype;
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
            ModelWriter.write(model, written, staging, GenerationConfig.read(base), maxShardBytes);
            ModelWriter.copyTokenizer(base, staging);
            Files.writeString(staging.resolve("merge_source.json"), new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(new ObjectMapper().createObjectNode().put("base_model", base.toString())
                            .put("lora_model", adapter.toString()).put("r", config.r()).put("lora_alpha", config.alpha())));
        } catch (RuntimeException | IOException e) {
            FileTrees.deleteQuietly(staging);
            throw e;
        }
        Check check;
        try (CausalLM merged = CausalLM.load(staging)) {
            float[] got = logits(merged, probe);
            double max = 0;
            for (int i = 0; i < got.length; i++) {
                max = Math.max(max, Math.abs(got[i] - expected[i]));
            }
            check = new Check(probe, max, tolerance(written), written, max <= tolerance(written));
        }
        ObjectNode json = new ObjectMapper().createObjectNode();
        json.putPOJO("probe_ids", probe);
        json.put("max_abs_logit_diff", check.maxAbsDiff());
        json.put("tolerance", check.tolerance());
        json.put("dtype", written);
        json.put("passed", check.passed());
        Files.writeString(staging.resolve("merge_check.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(json));
        if (!check.passed()) {
            Path failed = parent.resolve(output.getFileName() + ".failed-check");
            Files.move(staging, failed, StandardCopyOption.REPLACE_EXISTING);
            throw new IllegalStateException("merged model differs from base+adapter by " + check.maxAbsDiff()
                    + " (> " + check.tolerance() + "); left in " + failed + " for inspection");
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
}

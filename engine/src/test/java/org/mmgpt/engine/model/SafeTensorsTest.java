package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.generate.GenerationConfig;

/** float32/float16/bfloat16 weights on disk, sharded checkpoints, and loading them back. */
class SafeTensorsTest {

    @Test
    void bf16AndF16RoundTripToTheNearestRepresentableValue(@TempDir Path dir) throws Exception {
        float[] values = {0f, 1f, -2.5f, 3.14159265f, 1e-3f, -65504f, 1.00390625f, 7.0e-8f, 123456.7f};
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(values);
            for (String dtype : List.of("BF16", "F16", "F32")) {
                Path f = dir.resolve(dtype + ".safetensors");
                SafeTensorsWriter.write(f, Map.of("x", x), dtype, Map.of());
                float[] back = SafeTensors.open(f).load("x", m).toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    float expected = switch (dtype) {
                        case "BF16" -> bf16(values[i]);
                        case "F16" -> f16(values[i]);
                        default -> values[i];
                    };
                    assertEquals(expected, back[i], 0f, dtype + " value " + values[i]);
                }
            }
        }
    }

    /** bfloat16 rounding, computed independently: nearest of the two neighbours, ties to even. */
    private static float bf16(float v) {
        int bits = Float.floatToIntBits(v);
        float down = Float.intBitsToFloat(bits & 0xFFFF0000);
        float up = Float.intBitsToFloat((bits & 0xFFFF0000) + 0x10000);
        double dd = Math.abs((double) v - down);
        double du = Math.abs((double) up - v);
        if (dd != du) {
            return dd < du ? down : up;
        }
        return ((bits >>> 16) & 1) == 0 ? down : up;
    }

    /** IEEE half rounding by brute force: the nearest of all finite halves, ties to an even pattern. */
    private static float f16(float v) {
        if (Math.abs(v) >= 65520f) {
            return Math.copySign(Float.POSITIVE_INFINITY, v);
        }
        double best = 0;
        double bestErr = Double.MAX_VALUE;
        int bestBits = 0;
        for (int bits = 0; bits < 0x10000; bits++) {
            int exp = (bits >> 10) & 0x1F;
            if (exp == 0x1F) {
                continue; // inf, NaN
            }
            int mant = bits & 0x3FF;
            double mag = exp == 0 ? mant * Math.pow(2, -24) : (1024 + mant) * Math.pow(2, exp - 25);
            double h = (bits & 0x8000) != 0 ? -mag : mag;
            double err = Math.abs(h - v);
            if (err < bestErr || (err == bestErr && (bits & 1) == 0 && (bestBits & 1) == 1)) {
                best = h;
                bestErr = err;
                bestBits = bits;
            }
        }
        return (float) best;
    }

    @Test
    void aShardedBf16CheckpointLoadsToTheSameModel(@TempDir Path dir) throws Exception {
        ModelConfig c = TestModels.config("llama", new ModelConfig.Rope("llama3", 500000, 8, 1, 4, 16), 0, 2)
                .withDtype("bfloat16");
        long[] ids = {3, 1, 4, 1, 5, 9, 2, 6};
        try (CausalLM model = TestModels.build(c, 21)) {
            ModelWriter.write(model, dir, GenerationConfig.DEFAULTS, 20_000); // ~20 KB shards
            assertTrue(Files.isRegularFile(dir.resolve("model.safetensors.index.json")));
            long shards;
            try (var s = Files.list(dir)) {
                shards = s.filter(p -> p.getFileName().toString().matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
            }
            assertTrue(shards > 2, "shards: " + shards);
            try (CausalLM back = CausalLM.load(dir)) {
                assertEquals(List.of("BF16"), Checkpoint.open(dir).storedDtypes());
                assertEquals(c, back.config());
                // bf16 storage rounds the weights: close, not equal
                double d = TestModels.maxDiff(TestModels.logits(model, ids)[7], TestModels.logits(back, ids)[7]);
                assertTrue(d < 0.05 && d > 0, "bf16 round trip moved logits by " + d);
                // and written again in bf16 the weights do not move at all
                Path again = dir.resolve("again");
                ModelWriter.write(back, again, GenerationConfig.DEFAULTS, 1L << 30);
                try (CausalLM third = CausalLM.load(again)) {
                    assertEquals(0.0, TestModels.maxDiff(TestModels.logits(back, ids)[7], TestModels.logits(third, ids)[7]));
                }
            }
        }
    }

    @Test
    void aTensorWithAnotherShapeThanTheConfigSaysIsNamed(@TempDir Path dir) throws Exception {
        ModelConfig c = TestModels.config("qwen2", ModelConfig.Rope.plain(1e6), 0, 1);
        try (CausalLM model = TestModels.build(c, 22)) {
            ModelWriter.write(model, dir, GenerationConfig.DEFAULTS, 1L << 30);
        }
        String cfg = Files.readString(dir.resolve("config.json")).replace("\"intermediate_size\" : 96", "\"intermediate_size\" : 97");
        Files.writeString(dir.resolve("config.json"), cfg);
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> CausalLM.load(dir));
        assertTrue(e.getMessage().contains("mlp.gate_proj.weight"), e.getMessage());
    }
}

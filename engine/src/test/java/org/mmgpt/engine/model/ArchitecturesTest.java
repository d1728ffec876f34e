package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * The architectures without Hugging Face goldens here (Llama with llama3 rope scaling, Qwen3, Mistral
 * with a sliding window): structure, causality, and the KV cache giving what a full forward gives.
 */
class ArchitecturesTest {
    private static final long[] IDS = {5, 17, 200, 3, 99, 42, 7, 130, 64, 12, 250, 33, 1, 88};

    private static ModelConfig config(String arch) {
        return switch (arch) {
            case "llama" -> TestModels.config(arch, new ModelConfig.Rope("llama3", 500000, 8, 1, 4, 16), 0, 2);
            case "mistral" -> TestModels.config(arch, ModelConfig.Rope.plain(10000), 4, 2);
            default -> TestModels.config(arch, ModelConfig.Rope.plain(1e6), 0, 2);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "llama", "mistral"})
    void cachedDecodingGivesTheFullForwardLogits(String arch) {
        try (CausalLM model = TestModels.build(config(arch), 11)) {
            float[][] full = TestModels.logits(model, IDS);
            try (KvCache cache = model.newCache(); NDManager m = model.manager().newSubManager()) {
                // a 5-token prefill, then one token at a time
                NDArray h = model.forward(m.create(java.util.Arrays.copyOf(IDS, 5)).expandDims(0), null, null, cache, false);
                float[][] first = CausalLM.rows(model.logits(h).squeeze(0));
                for (int t = 0; t < 5; t++) {
                    assertTrue(TestModels.maxDiff(full[t], first[t]) < 1e-5, arch + " prefill position " + t);
                }
                for (int t = 5; t < IDS.length; t++) {
                    NDArray step = model.forward(m.create(new long[] {IDS[t]}).expandDims(0), null, null, cache, false);
                    float[] got = model.logits(step).toFloatArray();
                    double d = TestModels.maxDiff(full[t], got);
                    assertTrue(d < 1e-5, arch + " cached step " + t + ": max |Δ| " + d);
                }
                assertEquals(IDS.length, cache.length());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "llama", "mistral"})
    void aPositionNeverSeesLaterTokens(String arch) {
        try (CausalLM model = TestModels.build(config(arch), 12)) {
            long[] changed = IDS.clone();
            changed[9] = 77; // positions 0..8 must not move
            float[][] a = TestModels.logits(model, IDS);
            float[][] b = TestModels.logits(model, changed);
            for (int t = 0; t < 9; t++) {
                assertTrue(TestModels.maxDiff(a[t], b[t]) < 1e-6, arch + " position " + t + " saw the future");
            }
            assertTrue(TestModels.maxDiff(a[9], b[9]) > 1e-3, arch + ": the changed token had no effect");
        }
    }

    @Test
    void slidingWindowHidesTokensOlderThanTheWindow() {
        // one layer: the receptive field is exactly the window (deeper stacks widen it)
        ModelConfig c = TestModels.config("mistral", ModelConfig.Rope.plain(10000), 4, 1);
        try (CausalLM model = TestModels.build(c, 13)) {
            long[] changed = IDS.clone();
            changed[2] = 111;
            float[][] a = TestModels.logits(model, IDS);
            float[][] b = TestModels.logits(model, changed);
            // position 6 attends to 3..6 (window 4): token 2 is out of reach
            assertTrue(TestModels.maxDiff(a[6], b[6]) < 1e-6, "position 6 saw token 2 outside its window");
            assertTrue(TestModels.maxDiff(a[5], b[5]) > 1e-3, "position 5 should see token 2");
        }
    }

    @Test
    void qwen3HasPerHeadQkNormsAndItsOwnHeadDim() {
        ModelConfig c = config("qwen3");
        assertTrue(c.qkNorm());
        assertEquals(32, c.headDim()); // hidden 64 / 4 heads = 16, but Qwen3 declares its own
        try (CausalLM model = TestModels.build(c, 14)) {
            assertTrue(model.weights().containsKey("model.layers.0.self_attn.q_norm.weight"));
            assertEquals(new ai.djl.ndarray.types.Shape(4 * 32, 64),
                    model.weights().get("model.layers.0.self_attn.q_proj.weight").getShape());
            assertNull(model.weights().get("model.layers.0.self_attn.q_proj.bias"));
        }
    }

    @Test
    void qwen2HasQkvBiasesLlamaHasNone() {
        try (CausalLM q = TestModels.build(config("qwen2"), 15); CausalLM l = TestModels.build(config("llama"), 15)) {
            assertNotNull(q.weights().get("model.layers.0.self_attn.k_proj.bias"));
            assertNull(q.weights().get("model.layers.0.self_attn.o_proj.bias"));
            assertNull(l.weights().get("model.layers.0.self_attn.k_proj.bias"));
        }
    }
}

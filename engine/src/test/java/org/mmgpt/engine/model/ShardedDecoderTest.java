package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.generate.DecodeBatch;
import org.mmgpt.engine.generate.Generator;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;

/** Decoding split across threads computes what one thread computes, for every architecture. */
class ShardedDecoderTest {
    private static ModelConfig config(String arch) {
        return switch (arch) {
            case "llama" -> TestModels.config(arch, new ModelConfig.Rope("llama3", 500000, 8, 1, 4, 16), 0, 2);
            case "llama-biases" -> { // attention_bias (q, k, v and o_proj) and mlp_bias (all three)
                ObjectNode json = config("llama").toJson();
                json.put("attention_bias", true);
                json.put("mlp_bias", true);
                yield ModelConfig.fromJson(json);
            }
            case "mistral" -> TestModels.config(arch, ModelConfig.Rope.plain(10000), 4, 2); // window 4 < steps
            default -> TestModels.config(arch, ModelConfig.Rope.plain(1e6), 0, 2);
        };
    }

    /**
     * Logits of a left-padded prefill of two prompts (lengths 5 and 3) and of six decode steps after it,
     * as DecodeBatch drives the model: [step][row][vocab].
     */
    private static List<float[][]> decode(CausalLM model) {
        Autograd.offOnThisThread();
        long[][] prompts = {{5, 17, 42, 99, 7}, {0, 0, 3, 64, 128}}; // row 1: two padding tokens
        int pad1 = 2;
        List<float[][]> out = new ArrayList<>();
        try (NDManager m = model.manager().newSubManager(); KvCache cache = model.newCache()) {
            int len = prompts[0].length;
            long[][] positions = {{0, 1, 2, 3, 4}, {0, 0, 0, 1, 2}};
            boolean[][] valid = {{true, true, true, true, true}, {false, false, true, true, true}};
            NDArray ids = m.create(new long[] {5, 17, 42, 99, 7, 0, 0, 3, 64, 128}).reshape(2, len);
            out.add(CausalLM.rows(model.lastLogits(ids, positions, valid, cache)));
            for (int step = 0; step < 6; step++) {
                int s = len + step + 1;
                boolean[][] v = new boolean[2][s];
                for (int j = 0; j < s; j++) {
                    v[0][j] = true;
                    v[1][j] = j >= pad1;
                }
                long[][] p = {{len + step}, {len - pad1 + step}};
                NDArray next = m.create(new long[] {11 + step, 200 - step}).reshape(2, 1);
                out.add(CausalLM.rows(model.lastLogits(next, p, v, cache)));
            }
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "llama", "llama-biases", "mistral"})
    void twoThreadsGiveTheLogitsOfOne(String arch) {
        try (CausalLM one = TestModels.build(config(arch), 21); CausalLM two = TestModels.build(config(arch), 21)) {
            assertEquals(2, two.splitDecoding(2));
            List<float[][]> expected = decode(one);
            List<float[][]> actual = decode(two);
            for (int step = 0; step < expected.size(); step++) {
                for (int row = 0; row < 2; row++) {
                    double diff = TestModels.maxDiff(expected.get(step)[row], actual.get(step)[row]);
                    // only the order of the sums changes (o_proj and down_proj add two halves and the residual)
                    assertTrue(diff < 1e-5, arch + " step " + step + " row " + row + ": max |diff| " + diff);
                }
            }
        }
    }

    /** Where the packed products are built, one decode thread runs on them too, and computes what libtorch does. */
    @ParameterizedTest
    @ValueSource(strings = {"qwen2", "qwen3", "llama", "llama-biases", "mistral"})
    void oneDecodeThreadOnPackedProductsGivesTheLogitsOfLibtorch(String arch) {
        assumeTrue(PackedWeight.available(), PackedWeight.status());
        try (CausalLM torch = TestModels.build(config(arch), 25); CausalLM packed = TestModels.build(config(arch), 25)) {
            assertEquals(1, packed.splitDecoding(1));
            try (KvCache cache = packed.newCache()) {
                assertEquals(config(arch).numLayers(), cache.slots(), "one cache slot a layer, as unsplit");
            }
            List<float[][]> expected = decode(torch);
            List<float[][]> actual = decode(packed);
            double largest = 0;
            for (int step = 0; step < expected.size(); step++) {
                for (int row = 0; row < 2; row++) {
                    double diff = TestModels.maxDiff(expected.get(step)[row], actual.get(step)[row]);
                    assertTrue(diff < 1e-5, arch + " step " + step + " row " + row + ": max |diff| " + diff);
                    largest = Math.max(largest, diff);
                }
            }
            assertTrue(largest > 0, "not the packed products: they sum in another order than MKL's");
        }
    }

    @Test
    void goldenGreedyTokensAreUnchangedWhenSplit() {
        try (CausalLM model = CausalLM.load(Goldens.tinyModel())) {
            assertEquals(2, model.splitDecoding(2));
            var golden = Goldens.tinyJson();
            List<long[]> prompts = List.of(Goldens.ids(golden.get("prompts").get(0)), Goldens.ids(golden.get("prompts").get(1)));
            List<Sequence> out = Generator.generate(model, prompts, SamplingParams.greedy(12).build(), null);
            for (int p = 0; p < 2; p++) {
                assertArrayEquals(Goldens.ids(golden.get("greedy_12").get(p)), out.get(p).generated(), "prompt " + p);
            }
        }
    }

    /**
     * A batch's whole life on a split model, as the golden greedy tokens check it: a row admitted
     * midway (the running cache padded on the left and joined), the first row leaving while the
     * second goes on (rows kept, the padding trimmed). Where the packed products are, every decode
     * step of it is native.
     */
    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void rowsJoiningAndLeavingMidwayDecodeAsGolden(int threads) {
        try (CausalLM model = CausalLM.load(Goldens.tinyModel())) {
            model.splitDecoding(threads);
            assertEquals(NativeDecodeStep.available(), model.decodesNatively());
            var golden = Goldens.tinyJson();
            Sequence first = new Sequence(Goldens.ids(golden.get("prompts").get(0)), SamplingParams.greedy(12).build(), null);
            Sequence second = new Sequence(Goldens.ids(golden.get("prompts").get(1)), SamplingParams.greedy(12).build(), null);
            try (DecodeBatch batch = new DecodeBatch(model)) {
                batch.admit(List.of(first));
                for (int i = 0; i < 5; i++) {
                    batch.step();
                }
                batch.admit(List.of(second));
                while (!batch.isEmpty()) {
                    batch.step();
                }
            }
            assertArrayEquals(Goldens.ids(golden.get("greedy_12").get(0)), first.generated());
            assertArrayEquals(Goldens.ids(golden.get("greedy_12").get(1)), second.generated());
        }
    }

    /** A bad id is refused before anything runs: the cache keeps its length, the next step is right. */
    @Test
    void aTokenOutsideTheVocabularyIsRefusedAndDecodingGoesOn() {
        assumeTrue(NativeDecodeStep.available(), PackedWeight.status());
        ModelConfig c = config("qwen2");
        try (CausalLM one = TestModels.build(c, 26); CausalLM two = TestModels.build(c, 26);
             NDManager m = one.manager().newSubManager()) {
            two.splitDecoding(2);
            try (KvCache after = two.newCache()) {
                two.stepLogits(new long[] {5}, null, null, after);
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> two.stepLogits(new long[] {c.vocabSize()}, null, null, after));
                assertTrue(e.getMessage().contains("token id " + c.vocabSize()), e.getMessage());
                assertEquals(1, after.length());
                float[] next = two.stepLogits(new long[] {7}, null, null, after)[0];
                assertEquals(2, after.length());
                float[] expected = CausalLM.rows(one.lastLogits(m.create(new long[] {5, 7}).expandDims(0), null, null, null))[0];
                double diff = TestModels.maxDiff(expected, next);
                assertTrue(diff < 1e-5, "max |diff| " + diff);
            }
        }
    }

    @Test
    void theThreadCountUsedDividesTheKvHeadsAndAnAdapterKeepsOneThread() {
        try (CausalLM model = TestModels.build(config("qwen2"), 22)) { // 2 kv heads
            assertEquals(2, model.splitDecoding(3));
            assertEquals(1, model.splitDecoding(1));
            Linear q = model.linears().get(0);
            NDManager m = model.manager();
            q.setLora(new LoraAdapter(m.zeros(new Shape(2, 64)), m.zeros(new Shape(64, 2)), 1f, 0f));
            assertEquals(1, model.splitDecoding(2), "LoRA layers are not split");
        }
    }

    @Test
    void aCacheMadeBeforeTheSplitIsRefused() {
        try (CausalLM model = TestModels.build(config("qwen2"), 24); KvCache before = model.newCache();
             NDManager m = model.manager().newSubManager()) {
            model.splitDecoding(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.lastLogits(m.create(new long[] {1, 2}).expandDims(0), null, null, before));
            assertTrue(e.getMessage().contains("before the model's decoding was split"), e.getMessage());
        }
    }

    @Test
    void anAdapterAttachedAfterTheSplitIsRefusedNotIgnored() {
        try (CausalLM model = TestModels.build(config("qwen2"), 23)) {
            model.splitDecoding(2);
            Linear q = model.linears().get(0);
            NDManager m = model.manager();
            q.setLora(new LoraAdapter(m.zeros(new Shape(2, 64)), m.zeros(new Shape(64, 2)), 1f, 0f));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> decode(model));
            assertTrue(e.getMessage().contains("split"), e.getMessage());
        }
    }
}

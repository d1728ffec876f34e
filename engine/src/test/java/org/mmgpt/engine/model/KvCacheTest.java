package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.generate.DecodeBatch;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;

/**
 * The cache writes in place into arrays that grow when full (64, 128, 256 positions): decoding far
 * past each growth, with rows joining, leaving and being padded, computes what a full forward and
 * a lone sequence compute.
 */
class KvCacheTest {
    private static final ModelConfig CONFIG = TestModels.config("qwen2", ModelConfig.Rope.plain(1e6), 0, 2);

    private static long[] randomIds(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rng.nextInt(CONFIG.vocabSize());
        }
        return ids;
    }

    @Test
    void stepsPastEveryGrowthGiveTheFullForwardLogits() {
        Autograd.offOnThisThread();
        long[] ids = randomIds(150, 1);
        try (CausalLM model = TestModels.build(CONFIG, 31)) {
            float[][] full = TestModels.logits(model, ids); // (150, V), no cache
            try (KvCache cache = model.newCache(); NDManager m = model.manager().newSubManager()) {
                int prefill = 60;
                long[] head = java.util.Arrays.copyOf(ids, prefill);
                NDArray last = model.lastLogits(m.create(head).expandDims(0), null, null, cache);
                assertTrue(TestModels.maxDiff(full[prefill - 1], last.toFloatArray()) < 1e-5);
                for (int t = prefill; t < ids.length; t++) { // grows at 64 and 128
                    NDArray step = model.lastLogits(m.create(new long[] {ids[t]}).expandDims(0), null, null, cache);
                    double d = TestModels.maxDiff(full[t], step.toFloatArray());
                    assertTrue(d < 1e-5, "position " + t + ": max |diff| " + d);
                }
                assertEquals(ids.length, cache.length());
            }
        }
    }

    private static SamplingParams greedy(int n) {
        return SamplingParams.greedy(n).build();
    }

    private static long[] alone(CausalLM model, long[] prompt, int n) {
        Sequence s = new Sequence(prompt, greedy(n), null);
        try (DecodeBatch batch = new DecodeBatch(model)) {
            batch.admit(List.of(s));
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        return s.generated();
    }

    @Test
    void rowsJoiningAndLeavingAcrossGrowthsEachDecodeAsAlone() {
        for (int threads : new int[] {1, 2}) {
            try (CausalLM model = TestModels.build(CONFIG, 32)) {
                model.splitDecoding(threads);
                long[] p0 = randomIds(70, 2); // beyond the first capacity already
                long[] p1 = randomIds(3, 3);
                long[] p2 = randomIds(40, 4);
                int[] lengths = {90, 20, 100}; // row 1 leaves early: its padding columns are trimmed
                List<Sequence> seqs = new ArrayList<>();
                seqs.add(new Sequence(p0, greedy(lengths[0]), null));
                seqs.add(new Sequence(p1, greedy(lengths[1]), null));
                seqs.add(new Sequence(p2, greedy(lengths[2]), null));
                try (DecodeBatch batch = new DecodeBatch(model)) {
                    batch.admit(List.of(seqs.get(0), seqs.get(1))); // row 1 padded left by 67
                    for (int i = 0; i < 30; i++) {
                        batch.step();
                    }
                    batch.admit(List.of(seqs.get(2))); // shorter past: padded left to join
                    while (!batch.isEmpty()) {
                        batch.step();
                    }
                }
                long[][] prompts = {p0, p1, p2};
                for (int r = 0; r < 3; r++) {
                    assertArrayEquals(alone(model, prompts[r], lengths[r]), seqs.get(r).generated(),
                            threads + " thread(s), row " + r);
                }
            }
        }
    }
}

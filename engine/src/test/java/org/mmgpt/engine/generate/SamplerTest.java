package org.mmgpt.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SamplerTest {

    @Test
    void theKthLargestEqualsTheSortedRowsWithTiesAndInfinities() {
        SplittableRandom rng = new SplittableRandom(3);
        for (int trial = 0; trial < 200; trial++) {
            float[] logits = new float[1 + rng.nextInt(3000)];
            for (int i = 0; i < logits.length; i++) {
                logits[i] = switch (rng.nextInt(10)) {
                    case 0 -> Float.NEGATIVE_INFINITY; // masked tokens
                    case 1 -> 0.5f; // ties
                    default -> (float) rng.nextGaussian();
                };
            }
            int k = 1 + rng.nextInt(logits.length);
            float[] sorted = logits.clone();
            Arrays.sort(sorted);
            assertEquals(sorted[sorted.length - k], Sampler.kthLargest(logits, k), "k " + k + " of " + logits.length);
        }
    }
}

package org.mmgpt.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rotary frequencies and the rotation, against the published formulas computed here in double. */
class RotaryEmbeddingTest {

    @Test
    void defaultFrequenciesAreThetaToTheMinusTwoIOverD() {
        float[] inv = RotaryEmbedding.inverseFrequencies(ModelConfig.Rope.plain(10000), 64);
        for (int i = 0; i < 32; i++) {
            assertEquals(Math.pow(10000, -2.0 * i / 64), inv[i], 1e-7 * Math.max(1, inv[i]) + 1e-12);
        }
    }

    @Test
    void linearScalingDividesEveryFrequency() {
        float[] plain = RotaryEmbedding.inverseFrequencies(ModelConfig.Rope.plain(10000), 64);
        float[] lin = RotaryEmbedding.inverseFrequencies(new ModelConfig.Rope("linear", 10000, 4, 0, 0, 0), 64);
        for (int i = 0; i < 32; i++) {
            assertEquals(plain[i] / 4, lin[i], 1e-9);
        }
    }

    /**
     * Llama 3.1 (factor 8, low 1, high 4, original context 8192): wavelengths below 8192/4 keep their
     * frequency, above 8192/1 are divided by 8, and the band between is blended with
     * s = (8192/λ − 1)/(4 − 1): f' = (1−s)·f/8 + s·f.
     */
    @Test
    void llama3ScalingFollowsTheThreeBands() {
        ModelConfig.Rope rope = new ModelConfig.Rope("llama3", 500000, 8, 1, 4, 8192);
        float[] inv = RotaryEmbedding.inverseFrequencies(rope, 128);
        int low = 0;
        int mid = 0;
        int high = 0;
        for (int i = 0; i < 64; i++) {
            double f = Math.pow(500000, -2.0 * i / 128);
            double wavelen = 2 * Math.PI / f;
            double expected;
            if (wavelen < 8192 / 4.0) {
                expected = f;
                high++;
            } else if (wavelen > 8192) {
                expected = f / 8;
                low++;
            } else {
                double s = (8192 / wavelen - 1) / (4 - 1);
                expected = (1 - s) * f / 8 + s * f;
                mid++;
            }
            assertEquals(expected, inv[i], 1e-6 * expected, "frequency " + i);
        }
        assertTrue(low > 0 && mid > 0 && high > 0, "all three bands exercised: " + low + "/" + mid + "/" + high);
    }

    /** Rows × positions: one position per row on few rows takes the matrix form, else cos/sin. */
    @ParameterizedTest
    @CsvSource({"1, 1", "1, 2", "9, 1"})
    void rotationIsRotateHalfInBothForms(int rows, int positions) {
        try (NDManager m = NDManager.newBaseManager()) {
            RotaryEmbedding rope = new RotaryEmbedding(ModelConfig.Rope.plain(10000), 4, m);
            long[][] p = new long[rows][positions];
            for (long[] row : p) {
                Arrays.fill(row, 3);
            }
            RotaryEmbedding.Rotation r = rope.rotation(m, p);
            assertEquals(positions == 1 && rows <= RotaryEmbedding.MATRIX_ROWS, r.matrix() != null, "the matrix form");
            float[] x = new float[rows * positions * 4];
            for (int i = 0; i < x.length; i += 4) {
                System.arraycopy(new float[] {1, 2, 3, 4}, 0, x, i, 4);
            }
            float[] y = r.apply(m.create(x, new Shape(rows, 1, positions, 4))).toFloatArray();
            // pairs (x0, x2) and (x1, x3) rotate by angles 3·f0 and 3·f1
            double a0 = 3 * 1.0;
            double a1 = 3 * Math.pow(10000, -0.5);
            for (int at = 0; at < y.length; at += 4) {
                assertEquals(1 * Math.cos(a0) - 3 * Math.sin(a0), y[at], 1e-6);
                assertEquals(2 * Math.cos(a1) - 4 * Math.sin(a1), y[at + 1], 1e-6);
                assertEquals(3 * Math.cos(a0) + 1 * Math.sin(a0), y[at + 2], 1e-6);
                assertEquals(4 * Math.cos(a1) + 2 * Math.sin(a1), y[at + 3], 1e-6);
            }
        }
    }
}

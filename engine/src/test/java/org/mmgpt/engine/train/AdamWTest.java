package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Autograd;
import org.mmgpt.engine.Djl;

/**
 * The fused AdamW update against its formula worked out here in double precision, element by element:
 * weight decay on one parameter and not the other, a clipping scale, a parameter that spans several
 * work chunks and ends in a partial tile, and one to three threads.
 */
class AdamWTest {
    private static final float LR = 1e-2f;
    private static final float BETA1 = 0.9f;
    private static final float BETA2 = 0.95f;
    private static final float EPS = 1e-6f;
    private static final float DECAY = 0.1f;
    private static final float[] SCALES = {1f, 0.25f, 0.5f};

    @Test
    void threeStepsFollowTheFormulaWithAnyThreadCount() {
        float[][] one = train(1);
        for (int threads : new int[] {2, 3}) {
            float[][] many = train(threads);
            assertArrayEquals(one[0], many[0], "weight with " + threads + " threads"); // elementwise: bit for bit
            assertArrayEquals(one[1], many[1], "bias with " + threads + " threads");
        }
    }

    /** Trains {@code w} (decayed, 70,003 elements) and {@code b} (not decayed) for three steps. */
    private static float[][] train(int threads) {
        try (NDManager m = Djl.newManager()) {
            m.getEngine().setRandomSeed(7);
            NDArray w = m.randomNormal(new Shape(7, 10_001));
            NDArray b = m.randomNormal(new Shape(5));
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("w", w);
            params.put("b", b);
            params.values().forEach(Autograd::requireGrad);
            double[][] expected = {toDouble(w.toFloatArray()), toDouble(b.toFloatArray())};
            double[][][] moments = {{new double[(int) w.size()], new double[(int) w.size()]},
                    {new double[(int) b.size()], new double[(int) b.size()]}};
            try (AdamW adam = new AdamW(params, BETA1, BETA2, EPS, DECAY, Set.of("b"), threads, m)) {
                for (int step = 1; step <= 3; step++) {
                    // loss = Σ c_w·w² + Σ c_b·b: gradients 2·c_w·w and c_b, different every step
                    NDArray cw = m.randomUniform(-1, 1, w.getShape());
                    NDArray cb = m.randomUniform(-1, 1, b.getShape());
                    NDArray loss = Autograd.record(() -> cw.mul(w.mul(w)).sum().add(cb.mul(b).sum()));
                    Autograd.backward(loss);
                    double[][] grads = {toDouble(w.getGradient().toFloatArray()), toDouble(b.getGradient().toFloatArray())};
                    float scale = SCALES[step - 1];
                    adam.step(LR, scale);
                    params.values().forEach(Autograd::zeroGrad);
                    for (int k = 0; k < 2; k++) {
                        update(expected[k], grads[k], moments[k][0], moments[k][1], scale, step, k == 0 ? DECAY : 0);
                    }
                    assertClose(expected[0], w.toFloatArray(), "w after step " + step);
                    assertClose(expected[1], b.toFloatArray(), "b after step " + step);
                }
            }
            return new float[][] {w.toFloatArray(), b.toFloatArray()};
        }
    }

    /** torch.optim.AdamW, one step, in double precision. */
    private static void update(double[] p, double[] g, double[] m, double[] v, double scale, int step, double decay) {
        for (int i = 0; i < p.length; i++) {
            double grad = g[i] * scale;
            p[i] *= 1 - LR * decay;
            m[i] = BETA1 * m[i] + (1 - BETA1) * grad;
            v[i] = BETA2 * v[i] + (1 - BETA2) * grad * grad;
            double mHat = m[i] / (1 - Math.pow(BETA1, step));
            double vHat = v[i] / (1 - Math.pow(BETA2, step));
            p[i] -= LR * mHat / (Math.sqrt(vHat) + EPS);
        }
    }

    private static void assertClose(double[] expected, float[] actual, String what) {
        assertEquals(expected.length, actual.length, what);
        for (int i = 0; i < expected.length; i++) { // a step moves each element by about LR = 1e-2
            assertEquals(expected[i], actual[i], 1e-5 * (1 + Math.abs(expected[i])), what + " at " + i);
        }
    }

    private static double[] toDouble(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            d[i] = a[i];
        }
        return d;
    }

    @Test
    void aParameterThatIsNotItsOwnContiguousMemoryIsRefusedByName() {
        try (NDManager m = Djl.newManager()) {
            NDArray transposed = m.randomNormal(new Shape(4, 6)).transpose(); // a strided view
            Autograd.requireGrad(transposed);
            var e = assertThrows(IllegalArgumentException.class, () -> new AdamW(Map.of("lm_head.weight", transposed),
                    BETA1, BETA2, EPS, 0, Set.of(), 1, m));
            assertTrue(e.getMessage().contains("lm_head.weight"), e.getMessage());
        }
    }
}

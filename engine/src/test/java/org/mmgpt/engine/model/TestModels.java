package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Small random models of every supported architecture for tests without goldens. Every weight is
 * random, norms and biases included (as in the goldens), so a wrongly placed norm or bias shows.
 */
public final class TestModels {
    private TestModels() {}

    /** Every tensor uniform in ±scale around its "natural" value (1 for norm weights, 0 otherwise). */
    public static CausalLM.WeightSource perturbed(long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        return (name, shape, m) -> {
            float[] w = new float[Math.toIntExact(shape.size())];
            boolean norm = name.endsWith("norm.weight");
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) ((norm ? 1.0 : 0.0) + (rng.nextDouble() * 2 - 1) * (norm ? 0.3 : 0.2));
            }
            return m.create(w, shape);
        };
    }

    /** A config of {@code arch} with small dimensions; {@code window} > 0 gives a sliding window. */
    public static ModelConfig config(String arch, ModelConfig.Rope rope, int window, int layers) {
        ModelConfig c = ModelPresets.config(new ModelPresets.Shape(64, layers, 4, 2, 96, 512, false), arch, 256, rope,
                "float32", 1, List.of(2), null);
        return c.withSlidingWindow(Math.max(0, window));
    }

    public static CausalLM build(ModelConfig c, long seed) {
        return CausalLM.build(c, perturbed(seed), NDManager.newBaseManager());
    }

    /** Full-forward logits (T, V) of one sequence. */
    public static float[][] logits(CausalLM model, long[] ids) {
        try (NDManager m = model.manager().newSubManager()) {
            NDArray l = model.logits(model.forward(m.create(ids).expandDims(0), null, null, null, false)).squeeze(0);
            return CausalLM.rows(l);
        }
    }

    public static double maxDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            m = Math.max(m, Math.abs(a[i] - b[i]));
        }
        return m;
    }
}

package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.SplittableRandom;

/**
 * Weights for a model trained from scratch, as transformers initialises them: linear and embedding
 * weights ~ N(0, 0.02²), biases 0, norm weights 1. A seed fixes every value.
 */
public final class RandomInit implements CausalLM.WeightSource {
    private final SplittableRandom rng;
    private final double std;

    public RandomInit(long seed, double std) {
        this.rng = new SplittableRandom(seed);
        this.std = std;
    }

    @Override
    public NDArray get(String name, Shape shape, NDManager manager) {
        if (name.endsWith("norm.weight")) {
            return manager.ones(shape);
        }
        if (name.endsWith(".bias")) {
            return manager.zeros(shape);
        }
        float[] w = new float[Math.toIntExact(shape.size())];
        for (int i = 0; i < w.length; i += 2) {
            // Box–Muller: two independent normals from two uniforms.
            double u1 = 1.0 - rng.nextDouble();
            double u2 = rng.nextDouble();
            double r = Math.sqrt(-2.0 * Math.log(u1)) * std;
            w[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < w.length) {
                w[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
            }
        }
        return manager.create(w, shape);
    }
}

package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;

/** {@code y = w · x / √(mean(x²) + eps)} over the last axis, in float32 as transformers does. */
public final class RmsNorm {
    private final String name;
    private final NDArray weight; // (dim)
    private final float eps;

    public RmsNorm(String name, NDArray weight, float eps) {
        this.name = name;
        this.weight = weight;
        this.eps = eps;
    }

    /** x (…, dim) → (…, dim) */
    public NDArray forward(NDArray x) {
        NDArray variance = x.square().mean(new int[] {-1}, true); // (…, 1)
        NDArray inv = variance.add(x.getManager().create(eps)).pow(x.getManager().create(-0.5f)); // rsqrt
        return x.mul(inv).mul(weight);
    }

    public String name() {
        return name;
    }

    public NDArray weight() {
        return weight;
    }
}

package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;

/** {@code y = w · x / √(mean(x²) + eps)} over the last axis, in float32 as transformers does. */
public final class RmsNorm {
    private final String name;
    private final NDArray weight; // (dim)
    private final NDArray eps; // scalars as arrays that live as long as the weight: created once, and
    private final NDArray minusHalf; // never freed before a backward pass reads them

    public RmsNorm(String name, NDArray weight, float eps) {
        this.name = name;
        this.weight = weight;
        this.eps = weight.getManager().create(eps);
        this.minusHalf = weight.getManager().create(-0.5f);
    }

    /** x (…, dim) → (…, dim) */
    public NDArray forward(NDArray x) {
        NDArray variance = x.square().mean(new int[] {-1}, true); // (…, 1)
        NDArray inv = variance.add(eps).pow(minusHalf); // rsqrt
        return x.mul(inv).mul(weight);
    }

    public String name() {
        return name;
    }

    public NDArray weight() {
        return weight;
    }
}

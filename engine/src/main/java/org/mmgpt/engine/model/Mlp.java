package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;

/** The SwiGLU feed-forward block: {@code down(silu(gate(x)) · up(x))}. */
public final class Mlp {
    final Linear gate; // hidden → intermediate
    final Linear up; // hidden → intermediate
    final Linear down; // intermediate → hidden

    public Mlp(Linear gate, Linear up, Linear down) {
        this.gate = gate;
        this.up = up;
        this.down = down;
    }

    /** x (B, T, H) → (B, T, H) */
    public NDArray forward(NDArray x, boolean training) {
        return down.forward(gated(x, training), training);
    }

    /** What down_proj reads: x (…, H) → silu(gate(x))·up(x) (…, I). */
    NDArray gated(NDArray x, boolean training) {
        NDArray g = gate.forward(x, training); // (…, I)
        NDArray silu = g.mul(g.getNDArrayInternal().sigmoid()); // silu(g) = g·σ(g)
        return silu.mul(up.forward(x, training));
    }
}

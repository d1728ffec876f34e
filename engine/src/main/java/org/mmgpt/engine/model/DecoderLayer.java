package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;

/** One pre-norm block: {@code x + attn(norm(x))}, then {@code x + mlp(norm(x))}. */
public final class DecoderLayer {
    final RmsNorm inputNorm;
    final Attention attention;
    final RmsNorm postAttentionNorm;
    final Mlp mlp;

    public DecoderLayer(RmsNorm inputNorm, Attention attention, RmsNorm postAttentionNorm, Mlp mlp) {
        this.inputNorm = inputNorm;
        this.attention = attention;
        this.postAttentionNorm = postAttentionNorm;
        this.mlp = mlp;
    }

    /** x (B, T, H) → (B, T, H) */
    public NDArray forward(NDArray x, CausalLM.Pass pass, NDArray mask, int index) {
        NDArray h = x.add(attention.forward(inputNorm.forward(x), pass, mask, index));
        return h.add(mlp.forward(postAttentionNorm.forward(h), pass.training()));
    }
}

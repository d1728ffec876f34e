package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Causal self-attention with grouped-query heads: {@code nH} query heads share {@code nKv} key/value
 * heads, {@code nH / nKv} queries per group. Qwen3 normalises each head's q and k (RMSNorm over hd)
 * before the rotation.
 */
public final class Attention {
    final Linear q; // H → nH·hd
    final Linear k; // H → nKv·hd
    final Linear v; // H → nKv·hd
    final Linear o; // nH·hd → H
    final RmsNorm qNorm; // (hd), Qwen3 only, else null
    final RmsNorm kNorm;
    private final int nH;
    private final int nKv;
    private final int hd;
    private final int window; // 0 = attends to the whole past

    public Attention(Linear q, Linear k, Linear v, Linear o, RmsNorm qNorm, RmsNorm kNorm,
                     int nH, int nKv, int hd, int window) {
        this.q = q;
        this.k = k;
        this.v = v;
        this.o = o;
        this.qNorm = qNorm;
        this.kNorm = kNorm;
        this.nH = nH;
        this.nKv = nKv;
        this.hd = hd;
        this.window = window;
    }

    public int window() {
        return window;
    }

    /**
     * x (B, T, H) → (B, T, H).
     *
     * @param cos rotary cos/sin (B, 1, T, hd)
     * @param mask additive (B|1, 1, T, S) or null
     * @param cache this layer's past is appended to it; null for a plain full forward
     */
    public NDArray forward(NDArray x, NDArray cos, NDArray sin, NDArray mask, KvCache cache, int layer,
                           boolean training) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray qs = q.forward(x, training).reshape(b, t, nH, hd); // (B, T, nH, hd)
        NDArray ks = k.forward(x, training).reshape(b, t, nKv, hd); // (B, T, nKv, hd)
        NDArray vs = v.forward(x, training).reshape(b, t, nKv, hd).transpose(0, 2, 1, 3); // (B, nKv, T, hd)
        if (qNorm != null) {
            qs = qNorm.forward(qs);
            ks = kNorm.forward(ks);
        }
        qs = RotaryEmbedding.apply(qs.transpose(0, 2, 1, 3), cos, sin); // (B, nH, T, hd)
        ks = RotaryEmbedding.apply(ks.transpose(0, 2, 1, 3), cos, sin); // (B, nKv, T, hd)
        if (cache != null) {
            NDArray[] past = cache.append(layer, ks, vs);
            ks = past[0]; // (B, nKv, S, hd)
            vs = past[1];
        }
        long s = ks.getShape().get(2);
        int groups = nH / nKv;
        // Each group of query heads attends to its own kv head: fold the group into the query axis
        // instead of copying k and v `groups` times (transformers' repeat_kv gives the same numbers).
        NDArray qg = qs.reshape(b, nKv, groups * t, hd); // (B, nKv, g·T, hd)
        NDArray scale = x.getManager().create((float) (1.0 / Math.sqrt(hd)));
        NDArray scores = qg.matMul(ks.transpose(0, 1, 3, 2)).mul(scale); // (B, nKv, g·T, S)
        if (mask != null) {
            scores = scores.reshape(b, nKv, groups, t, s).add(mask.expandDims(2)) // + (B|1, 1, 1, T, S)
                    .reshape(b, nKv, groups * t, s);
        }
        NDArray probs = scores.softmax(-1);
        NDArray out = probs.matMul(vs) // (B, nKv, g·T, hd)
                .reshape(b, nH, t, hd)
                .transpose(0, 2, 1, 3) // (B, T, nH, hd)
                .reshape(new Shape(b, t, (long) nH * hd));
        return o.forward(out, training);
    }
}

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
    private final NDArray scale; // 1/√hd, an array that lives as long as the weights

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
        this.scale = q.weight().getManager().create((float) (1.0 / Math.sqrt(hd)));
    }

    public int window() {
        return window;
    }

    /**
     * x (B, T, H) → (B, T, H).
     *
     * @param pass the rotation of the positions, the cache (this layer's past is appended to slot
     *     {@code slot}; null for a plain full forward) and the training flag
     * @param mask additive (B|1, 1, T, S) or null
     */
    public NDArray forward(NDArray x, CausalLM.Pass pass, NDArray mask, int slot) {
        Shape shape = x.getShape();
        NDArray heads = attend(x, shape.get(0), shape.get(1), pass, mask, slot); // (B·T, nH·hd)
        return o.forward(heads, pass.training()).reshape(shape);
    }

    /**
     * Everything but o_proj: x (B, T, H) or (B·T, H) → the heads' outputs side by side, (B·T, nH·hd).
     * Two-dimensional, so that a caller can fold a residual into o_proj as its bias (one addmm).
     */
    NDArray attend(NDArray x, long b, long t, CausalLM.Pass pass, NDArray mask, int slot) {
        boolean training = pass.training();
        NDArray qs = heads(q.forward(x, training), b, t, nH); // (B, nH, T, hd)
        NDArray ks = heads(k.forward(x, training), b, t, nKv); // (B, nKv, T, hd)
        NDArray vs = heads(v.forward(x, training), b, t, nKv); // (B, nKv, T, hd)
        if (qNorm != null) {
            qs = qNorm.forward(qs);
            ks = kNorm.forward(ks);
        }
        qs = pass.rotation().apply(qs);
        ks = pass.rotation().apply(ks);
        if (pass.cache() != null) {
            NDArray[] past = pass.cache().append(slot, ks, vs);
            ks = past[0]; // (B, nKv, S, hd)
            vs = past[1];
        }
        long s = ks.getShape().get(2);
        int groups = nH / nKv;
        // Each group of query heads attends to its own kv head: fold the group into the query axis
        // instead of copying k and v `groups` times (transformers' repeat_kv gives the same numbers).
        NDArray qg = qs.reshape(b, nKv, groups * t, hd); // (B, nKv, g·T, hd)
        NDArray scores = qg.matMul(ks.transpose(0, 1, 3, 2)).mul(scale); // (B, nKv, g·T, S)
        if (mask != null) {
            scores = scores.reshape(b, nKv, groups, t, s).add(mask.expandDims(2)) // + (B|1, 1, 1, T, S)
                    .reshape(b, nKv, groups * t, s);
        }
        NDArray out = scores.softmax(-1).matMul(vs); // (B, nKv, g·T, hd) = (B, nH, T, hd)
        if (t > 1) {
            out = out.reshape(b, nH, t, hd).transpose(0, 2, 1, 3); // (B, T, nH, hd)
        }
        return out.reshape(b * t, (long) nH * hd);
    }

    /**
     * (B, T, n·hd) or (B·T, n·hd) → (B, n, T, hd). One token (decoding) needs only a reshape: with T = 1 the two
     * layouts hold the same numbers in the same order, and each native call saved counts there.
     */
    private NDArray heads(NDArray x, long b, long t, int n) {
        return t == 1 ? x.reshape(b, n, 1, hd) : x.reshape(b, t, n, hd).transpose(0, 2, 1, 3);
    }
}

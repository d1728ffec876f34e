package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/** {@code y = x·Wᵀ + b}, with an optional LoRA update. Named by its Hugging Face module path. */
public final class Linear {
    private final String name;
    private NDArray weight; // (out, in)
    private final NDArray bias; // (out) or null
    private final PackedWeight packed; // the same weight packed for inference, or null
    private LoraAdapter lora; // null without an adapter
    private boolean loraEnabled = true;

    public Linear(String name, NDArray weight, NDArray bias) {
        this(name, weight, bias, null);
    }

    /** With the weight also packed (the decode shards' slices): inference runs on the packed copy. */
    Linear(String name, NDArray weight, NDArray bias, PackedWeight packed) {
        this.name = name;
        this.weight = weight;
        this.bias = bias;
        this.packed = packed;
    }

    /** x (…, in) → (…, out). {@code training} turns LoRA dropout on. */
    public NDArray forward(NDArray x, boolean training) {
        if (!training && (lora == null || !loraEnabled)) {
            return forwardAdding(x, null);
        }
        NDArray y = x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
        if (lora == null || !loraEnabled) {
            return y;
        }
        NDArray in = training && lora.dropout() > 0
                ? x.getNDArrayInternal().dropout(x, lora.dropout(), true).singletonOrThrow()
                : x;
        NDArray down = in.getNDArrayInternal().linear(in, lora.a(), null).singletonOrThrow(); // (…, r)
        NDArray up = down.getNDArrayInternal().linear(down, lora.b(), null).singletonOrThrow(); // (…, out)
        // The scale is an array of the activation's manager: a Number argument would be freed before
        // backward reads it (see docs/architecture.md, "DJL traps").
        return y.add(up.mul(up.getManager().create(lora.scale())));
    }

    /**
     * Inference without LoRA: x (…, in) → x·Wᵀ + b + add, with {@code add} (…, out) or null. A caller
     * folds a residual into the product this way (one native call instead of two).
     */
    NDArray forwardAdding(NDArray x, NDArray add) {
        if (packed != null) {
            return packed.times(x, bias, add);
        }
        NDArray plus = add == null ? bias : bias == null ? add : add.add(bias);
        return x.getNDArrayInternal().linear(x, weight, plus).singletonOrThrow();
    }

    /**
     * Rows [from, from+count) of the weight and bias, for inference: views attached to {@code owner},
     * and packed into it as well where the packed products are available ({@link PackedWeight}).
     */
    Linear rows(long from, long count, NDManager owner) {
        NDIndex slice = new NDIndex("{}:{}", from, from + count);
        NDArray w = weight.get(slice);
        w.attach(owner);
        NDArray b = null;
        if (bias != null) {
            b = bias.get(slice);
            b.attach(owner);
        }
        long in = weight.getShape().get(1);
        return new Linear(name, w, b, PackedWeight.available() ? PackedWeight.of(weight, from, count, 0, in, owner) : null);
    }

    public String name() {
        return name;
    }

    /** The packed twin of the weight (decode shards' slices), or null. */
    PackedWeight packed() {
        return packed;
    }

    public NDArray weight() {
        return weight;
    }

    public NDArray bias() {
        return bias;
    }

    public LoraAdapter lora() {
        return lora;
    }

    public void setLora(LoraAdapter lora) {
        this.lora = lora;
    }

    public void setLoraEnabled(boolean enabled) {
        this.loraEnabled = enabled;
    }

    /** Replaces the weight (a merge folds LoRA in); the old array is closed. */
    public void replaceWeight(NDArray merged) {
        NDArray old = weight;
        weight = merged;
        old.close();
    }
}

package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;

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

    public String name() {
        return name;
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

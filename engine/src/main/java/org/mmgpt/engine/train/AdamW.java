package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.mmgpt.engine.model.SafeTensors;
import org.mmgpt.engine.model.SafeTensorsWriter;

/**
 * AdamW with torch.optim.AdamW's semantics: decoupled weight decay {@code p ← p·(1 − lr·λ)}, then
 * {@code m ← β1·m + (1−β1)·g}, {@code v ← β2·v + (1−β2)·g²},
 * {@code p ← p − lr/(1−β1^t) · m / (√v/√(1−β2^t) + ε)}.
 */
public final class AdamW implements AutoCloseable {
    private final Map<String, NDArray> params; // trainable leaves by name
    private final float beta1;
    private final float beta2;
    private final float eps;
    private final float weightDecay;
    private final Set<String> noDecay; // biases and norm weights, as transformers groups them
    private final NDManager manager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();
    private long step;

    public AdamW(Map<String, NDArray> params, float beta1, float beta2, float eps, float weightDecay,
                 Set<String> noDecay, NDManager parent) {
        this.params = params;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.noDecay = Set.copyOf(noDecay);
        this.manager = parent.newSubManager();
        params.forEach((name, p) -> {
            expAvg.put(name, manager.zeros(p.getShape()));
            expAvgSq.put(name, manager.zeros(p.getShape()));
        });
    }

    public long stepCount() {
        return step;
    }

    /**
     * One update of every parameter from its accumulated gradient, at learning rate {@code lr}. The
     * gradients are used as scratch space (they are zeroed before the next step anyway): seven
     * in-place passes update the moments, where fresh arrays would cost an allocation and its page
     * faults per parameter and term.
     */
    public void step(float lr) {
        step++;
        double bc1 = 1 - Math.pow(beta1, step);
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        for (var e : params.entrySet()) {
            NDArray p = e.getValue();
            NDArray m = expAvg.get(e.getKey());
            NDArray v = expAvgSq.get(e.getKey());
            try (NDManager tmp = manager.newSubManager()) {
                NDArray g = p.getGradient();
                g.attach(tmp);
                if (weightDecay != 0 && !noDecay.contains(e.getKey())) {
                    p.muli(1 - lr * weightDecay);
                }
                g.muli(1 - beta1); // g' = (1−β1)·g
                m.muli(beta1).addi(g); // m = β1·m + (1−β1)·g
                g.muli(g).muli((1 - beta2) / ((1 - beta1) * (1 - beta1))); // (1−β2)·g²
                v.muli(beta2).addi(g); // v = β2·v + (1−β2)·g²
                // lr/bc1 · m / (√v/√bc2 + ε) = (lr·√bc2/bc1) · m / (√v + ε·√bc2)
                NDArray denom = v.sqrt().addi(eps * bc2Sqrt);
                denom.attach(tmp);
                NDArray update = m.div(denom);
                update.attach(tmp);
                p.subi(update.muli(lr * bc2Sqrt / bc1));
            }
        }
    }

    /** Writes the moments and step count (a checkpoint's optimizer state). */
    public void save(Path file) throws IOException {
        Map<String, NDArray> all = new LinkedHashMap<>();
        expAvg.forEach((n, a) -> all.put(n + ".exp_avg", a));
        expAvgSq.forEach((n, a) -> all.put(n + ".exp_avg_sq", a));
        SafeTensorsWriter.write(file, all, "F32", Map.of("step", Long.toString(step)));
    }

    /** Restores what {@link #save} wrote; the parameter names must match. */
    public void load(Path file) {
        SafeTensors st = SafeTensors.open(file);
        for (String n : params.keySet()) {
            copyInto(expAvg.get(n), st, n + ".exp_avg");
            copyInto(expAvgSq.get(n), st, n + ".exp_avg_sq");
        }
        step = Long.parseLong(st.metadata().getOrDefault("step", "0"));
    }

    private void copyInto(NDArray target, SafeTensors st, String name) {
        if (!st.names().contains(name)) {
            throw new IllegalArgumentException(st.file() + ": no optimizer state " + name
                    + " (was the checkpoint made with other trainable parameters?)");
        }
        try (NDManager tmp = manager.newSubManager()) {
            NDArray saved = st.load(name, tmp);
            if (!saved.getShape().equals(target.getShape())) {
                throw new IllegalArgumentException(st.file() + ": " + name + " has shape " + saved.getShape()
                        + ", expected " + target.getShape());
            }
            target.set(saved.toByteBuffer());
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}

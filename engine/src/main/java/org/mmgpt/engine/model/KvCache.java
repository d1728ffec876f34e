package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.function.UnaryOperator;

/**
 * Keys and values of every layer for the tokens seen so far, so that each new token attends to the
 * past without recomputing it. Arrays are (B, nKv, S, hd) and belong to the cache's own manager, which
 * outlives the per-step managers that produce them.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Tokens cached so far (S). */
    public int length() {
        return length;
    }

    /**
     * Appends this step's k, v (B, nKv, T, hd) to layer {@code layer} and returns the whole past
     * (B, nKv, S + T, hd) for attention.
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        keys[layer] = concat(keys[layer], k);
        values[layer] = concat(values[layer], v);
        if (layer == keys.length - 1) {
            length = Math.toIntExact(keys[layer].getShape().get(2));
        }
        return new NDArray[] {keys[layer], values[layer]};
    }

    private NDArray concat(NDArray past, NDArray now) {
        if (past == null) {
            NDArray own = now.duplicate();
            own.attach(manager);
            return own;
        }
        NDArray joined = past.concat(now, 2); // result belongs to past's manager: the cache's
        past.close();
        return joined;
    }

    /** Keeps only the batch rows {@code rows}, in that order (finished sequences leave the batch). */
    public void keepRows(long[] rows) {
        try (NDArray index = manager.create(rows)) {
            replaceAll(a -> a.get(new NDIndex("{}", index)));
        }
    }

    /** Drops the first {@code n} cached positions of every row (columns that are padding in all rows). */
    public void trimLeft(int n) {
        replaceAll(a -> a.get(new NDIndex(":, :, {}:", n)));
        length -= n;
    }

    /** Prepends {@code n} zero positions to every row (they are then masked as padding). */
    public void padLeft(int n) {
        replaceAll(a -> {
            Shape s = a.getShape();
            try (NDArray zeros = manager.zeros(new Shape(s.get(0), s.get(1), n, s.get(3)), a.getDataType())) {
                return zeros.concat(a, 2);
            }
        });
        length += n;
    }

    /** Appends the rows of {@code other} (same length) below this cache's rows, and closes {@code other}. */
    public void appendRows(KvCache other) {
        if (other.length != length) {
            throw new IllegalArgumentException("caches of lengths " + length + " and " + other.length);
        }
        for (int i = 0; i < keys.length; i++) {
            NDArray k = keys[i].concat(other.keys[i], 0);
            NDArray v = values[i].concat(other.values[i], 0);
            keys[i].close();
            values[i].close();
            keys[i] = k;
            values[i] = v;
        }
        other.close();
    }

    private void replaceAll(UnaryOperator<NDArray> f) {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                NDArray k = f.apply(keys[i]);
                NDArray v = f.apply(values[i]);
                keys[i].close();
                values[i].close();
                keys[i] = k;
                values[i] = v;
            }
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}

package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

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

    /** Keeps only the batch rows {@code rows} (a finished sequence leaves the batch). */
    public void keepRows(long[] rows) {
        NDArray index = manager.create(rows);
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                NDArray k = keys[i].get(index);
                NDArray v = values[i].get(index);
                keys[i].close();
                values[i].close();
                keys[i] = k;
                values[i] = v;
            }
        }
        index.close();
    }

    @Override
    public void close() {
        manager.close();
    }
}

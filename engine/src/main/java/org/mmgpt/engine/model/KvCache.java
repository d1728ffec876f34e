package org.mmgpt.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.function.UnaryOperator;

/**
 * Keys and values of every layer for the tokens seen so far, so that each new token attends to the
 * past without recomputing it. Each slot's arrays are (B, nKv, capacity, hd), the first
 * {@link #length()} positions valid; a step writes its positions in place and attention reads a view
 * of the valid prefix, so a step costs O(new tokens), not a copy of the whole past (which at 2,000
 * cached tokens would move over 100 MB a step). Capacity doubles when full. Arrays belong to the
 * cache's own manager, which outlives the per-step managers that produce the new keys and values.
 */
public final class KvCache implements AutoCloseable {
    private static final int MIN_CAPACITY = 64;
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int[] lengths; // per slot: the slots of one pass may be filled by different threads
    private final NDArray[] addressed; // per slot: the keys that addresses[slot] was taken of
    private final long[][] addresses; // per slot: what reserveOne returns, kept while the arrays stay

    public KvCache(NDManager parent, int slots) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[slots];
        this.values = new NDArray[slots];
        this.lengths = new int[slots];
        this.addressed = new NDArray[slots];
        this.addresses = new long[slots][];
    }

    /** Layers × decoding threads of the model that made it. */
    public int slots() {
        return keys.length;
    }

    /** Tokens cached so far (S), between passes. */
    public int length() {
        return lengths[lengths.length - 1];
    }

    /**
     * Appends this step's k, v (B, nKv, T, hd) to slot {@code slot} and returns views of the whole
     * past (B, nKv, S + T, hd) for attention. Every slot of a pass appends once.
     */
    NDArray[] append(int slot, NDArray k, NDArray v) {
        int at = lengths[slot];
        keys[slot] = write(keys[slot], k, at);
        values[slot] = write(values[slot], v, at);
        lengths[slot] = at + Math.toIntExact(k.getShape().get(2));
        NDIndex valid = positions(0, lengths[slot]);
        NDArray pastK = keys[slot].get(valid);
        NDArray pastV = values[slot].get(valid);
        pastK.attach(k.getManager()); // the views go with the step that reads them
        pastV.attach(k.getManager());
        return new NDArray[] {pastK, pastV};
    }

    /** Writes {@code now} at positions [at, at + T) of {@code store}, growing it first if full. */
    private NDArray write(NDArray store, NDArray now, int at) {
        Shape s = now.getShape();
        long needed = at + s.get(2);
        store = withRoom(store, new Shape(s.get(0), s.get(1), needed, s.get(3)), at, now.getDataType());
        store.set(positions(at, needed), now);
        return store;
    }

    /**
     * {@code store} if it holds {@code needed.get(2)} positions, else a larger one (capacity doubled,
     * at least that) with the first {@code at} positions copied and the old one closed.
     */
    private NDArray withRoom(NDArray store, Shape needed, int at, DataType type) {
        long positions = needed.get(2);
        if (store != null && store.getShape().get(2) >= positions) {
            return store;
        }
        long capacity = Math.max(MIN_CAPACITY, store == null ? positions : Math.max(positions, 2 * store.getShape().get(2)));
        NDArray grown = manager.zeros(new Shape(needed.get(0), needed.get(1), capacity, needed.get(3)), type);
        if (store != null) {
            if (at > 0) {
                try (NDArray old = store.get(positions(0, at))) {
                    grown.set(positions(0, at), old);
                }
            }
            store.close();
        }
        return grown;
    }

    /**
     * For the native decode step ({@link NativeDecodeStep}), which writes position {@link #length()}
     * itself: makes room for it in slot {@code slot}, whose arrays must be (B, nKv, ·, hd) float32, and
     * returns {keys' address, values' address, capacity}. {@link #advance} then counts the position.
     */
    long[] reserveOne(int slot, long b, long kvHeads, long hd) {
        Shape needed = new Shape(b, kvHeads, lengths[slot] + 1, hd);
        for (NDArray a : new NDArray[] {keys[slot], values[slot]}) {
            Shape s = a == null ? null : a.getShape();
            if (s != null && (s.get(0) != b || s.get(1) != kvHeads || s.get(3) != hd
                    || a.getDataType() != DataType.FLOAT32)) {
                throw new IllegalStateException("cache slot " + slot + " holds " + a.getDataType() + " " + s
                        + ", not float32 (" + b + ", " + kvHeads + ", ·, " + hd + ")");
            }
        }
        keys[slot] = withRoom(keys[slot], needed, lengths[slot], DataType.FLOAT32);
        values[slot] = withRoom(values[slot], needed, lengths[slot], DataType.FLOAT32);
        if (addressed[slot] != keys[slot]) { // keys and values are always replaced together
            // Every store is contiguous (made by zeros, concat or a gather, written in place), so these
            // are the stores' own data, not copies (see PackedWeight.address).
            addresses[slot] = new long[] {PackedWeight.address(keys[slot]), PackedWeight.address(values[slot]),
                keys[slot].getShape().get(2)};
            addressed[slot] = keys[slot];
        }
        return addresses[slot];
    }

    /** Counts the position the native decode step wrote into slot {@code slot}. */
    void advance(int slot) {
        lengths[slot]++;
    }

    /** {@code [:, :, from:to]}, built rather than parsed: a decode step makes four of these per layer. */
    private static NDIndex positions(long from, long to) {
        return new NDIndex().addAllDim(2).addSliceDim(from, to);
    }

    /** Keeps only the batch rows {@code rows}, in that order (finished sequences leave the batch). */
    public void keepRows(long[] rows) {
        try (NDArray index = manager.create(rows)) {
            replaceAll(a -> a.get(new NDIndex("{}", index)));
        }
    }

    /** Drops the first {@code n} cached positions of every row (columns that are padding in all rows). */
    public void trimLeft(int n) {
        int length = length();
        replaceAll(a -> { // a copy, not a view: the native decode step needs every store contiguous
            Shape s = a.getShape();
            NDArray kept = manager.zeros(new Shape(s.get(0), s.get(1), s.get(2) - n, s.get(3)), a.getDataType());
            try (NDArray valid = a.get(positions(n, length))) {
                kept.set(positions(0, length - n), valid);
            }
            return kept;
        });
        setLength(length - n);
    }

    /** Prepends {@code n} zero positions to every row (they are then masked as padding). */
    public void padLeft(int n) {
        int length = length();
        replaceAll(a -> {
            Shape s = a.getShape();
            try (NDArray zeros = manager.zeros(new Shape(s.get(0), s.get(1), n, s.get(3)), a.getDataType());
                 NDArray valid = a.get(positions(0, length))) {
                return zeros.concat(valid, 2);
            }
        });
        setLength(length + n);
    }

    /** Appends the rows of {@code other} (same length) below this cache's rows, and closes {@code other}. */
    public void appendRows(KvCache other) {
        if (other.length() != length()) {
            throw new IllegalArgumentException("caches of lengths " + length() + " and " + other.length());
        }
        for (int i = 0; i < keys.length; i++) {
            keys[i] = joinRows(keys[i], other.keys[i]);
            values[i] = joinRows(values[i], other.values[i]);
        }
        other.close();
    }

    /** The valid positions of {@code top}'s rows, then {@code bottom}'s; closes {@code top}. */
    private NDArray joinRows(NDArray top, NDArray bottom) {
        NDIndex valid = positions(0, length());
        try (NDArray a = top.get(valid); NDArray b = bottom.get(valid)) {
            NDArray joined = a.concat(b, 0); // belongs to a's manager: this cache's
            top.close();
            return joined;
        }
    }

    private void setLength(int n) {
        Arrays.fill(lengths, n);
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

package org.mmgpt.engine.data;

import java.util.Arrays;

/** A growable long[]. */
final class LongList {
    private long[] values;
    private int size;

    LongList() {
        this(256);
    }

    LongList(int capacity) {
        values = new long[Math.max(16, capacity)];
    }

    void add(long v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, values.length * 2);
        }
        values[size++] = v;
    }

    void addAll(long[] vs) {
        addAll(vs, 0, vs.length);
    }

    void addAll(long[] vs, int from, int to) {
        int n = to - from;
        if (size + n > values.length) {
            values = Arrays.copyOf(values, Math.max(values.length * 2, size + n));
        }
        System.arraycopy(vs, from, values, size, n);
        size += n;
    }

    void fill(long v, int n) {
        for (int i = 0; i < n; i++) {
            add(v);
        }
    }

    int size() {
        return size;
    }

    long get(int i) {
        return values[i];
    }

    long[] toArray() {
        return Arrays.copyOf(values, size);
    }

    long[] slice(int from, int to) {
        return Arrays.copyOfRange(values, from, to);
    }
}

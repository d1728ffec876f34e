package org.mmgpt.engine.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import org.mmgpt.engine.data.Example;

/**
 * Examples of different lengths made rectangular: right-padded with the pad id, labels -100 and keys
 * masked on the padding. Positions stay 0, 1, … for every row, as they are without padding.
 *
 * @param ids (B, T) token ids
 * @param labels (B, T), -100 where nothing is learned
 * @param keyValid (B, T) false on padding, or null when no row is padded
 * @param tokens real (non-padding) tokens in the batch
 */
public record Batch(long[][] ids, long[][] labels, boolean[][] keyValid, long tokens) {

    public static Batch of(List<Example> examples, long padId) {
        int b = examples.size();
        int t = examples.stream().mapToInt(Example::length).max().orElseThrow();
        long[][] ids = new long[b][t];
        long[][] labels = new long[b][t];
        boolean[][] valid = new boolean[b][t];
        boolean padded = false;
        long tokens = 0;
        for (int i = 0; i < b; i++) {
            Example e = examples.get(i);
            for (int j = 0; j < t; j++) {
                boolean real = j < e.length();
                ids[i][j] = real ? e.inputIds()[j] : padId;
                labels[i][j] = real ? e.labels()[j] : TokenLogProbs.IGNORE;
                valid[i][j] = real;
                padded |= !real;
            }
            tokens += e.length();
        }
        return new Batch(ids, labels, padded ? valid : null, tokens);
    }

    public int rows() {
        return ids.length;
    }

    public int length() {
        return ids[0].length;
    }

    /** The ids as a (B, T) array of {@code manager}. */
    public NDArray idsArray(NDManager manager) {
        long[] flat = new long[rows() * length()];
        for (int i = 0; i < rows(); i++) {
            System.arraycopy(ids[i], 0, flat, i * length(), length());
        }
        return manager.create(flat).reshape(rows(), length());
    }
}

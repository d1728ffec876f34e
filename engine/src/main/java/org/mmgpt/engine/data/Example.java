package org.mmgpt.engine.data;

/**
 * One tokenized training example for PT or SFT: {@code labels[i]} is {@code inputIds[i]} where the
 * model is trained to produce that token, -100 elsewhere (the model shifts labels by one itself).
 */
public record Example(long[] inputIds, long[] labels) {
    public Example {
        if (inputIds.length != labels.length) {
            throw new IllegalArgumentException("input_ids and labels differ in length: "
                    + inputIds.length + " vs " + labels.length);
        }
    }

    public int length() {
        return inputIds.length;
    }
}

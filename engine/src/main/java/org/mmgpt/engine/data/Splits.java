package org.mmgpt.engine.data;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/** Train/validation splits and sample limits. */
public final class Splits {
    private Splits() {}

    /** The two parts of a split, each in the order the examples had in {@code all}. */
    public record Split<T>(List<T> train, List<T> validation) {
        public Split {
            train = List.copyOf(train);
            validation = List.copyOf(validation);
        }
    }

    /**
     * Puts {@code validationPercentage}% of the examples, rounded up (as Hugging Face's
     * {@code train_test_split} rounds the test size), chosen by a shuffle seeded with {@code seed},
     * into validation, and the rest into train. The same list and seed always give the same split.
     * 0% gives no validation; at least one example is always left for training.
     *
     * <p>The seed splits raw records before tokenizing, and not alike in its stages: SFT shuffles with
     * seed 42 and uses {@code train_test_split}; PT and DPO take the first N% of the records, unshuffled.
     * Here one rule serves all three, on the loaded examples (for PT: blocks).
     */
    public static <T> Split<T> split(List<T> all, int validationPercentage, long seed) {
        if (validationPercentage < 0 || validationPercentage >= 100) {
            throw new IllegalArgumentException("validation percentage must be from 0 to 99, not " + validationPercentage);
        }
        int n = all.size();
        int validation = validationPercentage == 0 || n < 2
                ? 0 : Math.min(n - 1, (int) ((n * (long) validationPercentage + 99) / 100));
        List<Integer> order = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        boolean[] isValidation = new boolean[n];
        for (int i = 0; i < validation; i++) {
            isValidation[order.get(i)] = true;
        }
        List<T> train = new ArrayList<>(n - validation);
        List<T> val = new ArrayList<>(validation);
        for (int i = 0; i < n; i++) {
            (isValidation[i] ? val : train).add(all.get(i));
        }
        return new Split<>(train, val);
    }

    /** The first {@code maxSamples} examples; all of them when {@code maxSamples <= 0} (the seed's "-1"). */
    public static <T> List<T> maxSamples(List<T> examples, int maxSamples) {
        return maxSamples <= 0 || maxSamples >= examples.size() ? examples : List.copyOf(examples.subList(0, maxSamples));
    }
}

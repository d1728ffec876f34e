package org.mmgpt.engine.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class SplitsTest {
    private static final List<Integer> HUNDRED = IntStream.range(0, 100).boxed().toList();

    @Test
    void aSeededSplitIsDeterministicDisjointAndComplete() {
        Splits.Split<Integer> a = Splits.split(HUNDRED, 10, 42);
        Splits.Split<Integer> b = Splits.split(HUNDRED, 10, 42);
        assertEquals(a, b);
        assertEquals(90, a.train().size());
        assertEquals(10, a.validation().size());
        Set<Integer> all = new HashSet<>(a.train());
        all.addAll(a.validation());
        assertEquals(100, all.size());
        assertEquals(sorted(a.train()), a.train(), "train keeps the original order");
        assertEquals(sorted(a.validation()), a.validation());
        assertNotEquals(a.validation(), Splits.split(HUNDRED, 10, 43).validation(), "another seed, another split");
        assertNotEquals(HUNDRED.subList(0, 10), a.validation(), "shuffled, not the first 10%");
    }

    @Test
    void validationSizeRoundsUpAndLeavesTrainingData() {
        assertEquals(1, Splits.split(HUNDRED.subList(0, 7), 1, 0).validation().size(), "ceil(0.07)");
        assertEquals(3, Splits.split(HUNDRED.subList(0, 21), 10, 0).validation().size(), "ceil(2.1)");
        assertEquals(0, Splits.split(HUNDRED.subList(0, 1), 50, 0).validation().size(), "one example stays for training");
        assertEquals(1, Splits.split(HUNDRED.subList(0, 2), 99, 0).train().size());
        assertEquals(0, Splits.split(List.of(), 10, 0).validation().size());
    }

    @Test
    void zeroPercentMeansNoValidation() {
        Splits.Split<Integer> s = Splits.split(HUNDRED, 0, 7);
        assertEquals(HUNDRED, s.train());
        assertTrue(s.validation().isEmpty());
    }

    @Test
    void percentagesOutsideZeroToNinetyNineAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> Splits.split(HUNDRED, -1, 0));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Splits.split(HUNDRED, 100, 0));
        assertEquals("validation percentage must be from 0 to 99, not 100", e.getMessage());
    }

    @Test
    void maxSamplesTakesTheFirstOnes() {
        assertEquals(HUNDRED.subList(0, 5), Splits.maxSamples(HUNDRED, 5));
        assertSame(HUNDRED, Splits.maxSamples(HUNDRED, -1));
        assertSame(HUNDRED, Splits.maxSamples(HUNDRED, 0));
        assertSame(HUNDRED, Splits.maxSamples(HUNDRED, 1000));
    }

    private static List<Integer> sorted(List<Integer> xs) {
        List<Integer> s = new ArrayList<>(xs);
        s.sort(null);
        return s;
    }
}

package org.mmgpt.engine.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.model.CausalLM;

/** Greedy decoding with the KV cache reproduces transformers' greedy tokens, alone and batched. */
class GoldenGenerationTest {
    static CausalLM model;
    static JsonNode golden;
    static List<long[]> prompts = new ArrayList<>();
    static List<long[]> expected = new ArrayList<>();

    @BeforeAll
    static void load() {
        model = CausalLM.load(Goldens.tinyModel());
        golden = Goldens.tinyJson();
        for (int p = 0; p < 2; p++) {
            prompts.add(Goldens.ids(golden.get("prompts").get(p)));
            expected.add(Goldens.ids(golden.get("greedy_12").get(p)));
        }
    }

    @AfterAll
    static void close() {
        model.close();
    }

    private static SamplingParams greedy12() {
        return SamplingParams.greedy(12).build(); // no stop ids: the goldens ran without an eos stop
    }

    @Test
    void eachPromptAloneMatchesGreedyGolden() {
        for (int p = 0; p < 2; p++) {
            Sequence s = Generator.generate(model, List.of(prompts.get(p)), greedy12(), null).get(0);
            assertArrayEquals(expected.get(p), s.generated(), "prompt " + p);
            assertEquals(FinishReason.LENGTH, s.finishReason());
        }
    }

    @Test
    void bothPromptsInOneLeftPaddedBatchMatchGreedyGolden() {
        List<Sequence> out = Generator.generate(model, prompts, greedy12(), null);
        assertArrayEquals(expected.get(0), out.get(0).generated());
        assertArrayEquals(expected.get(1), out.get(1).generated());
    }

    @Test
    void aSequenceAdmittedMidwayJoinsTheRunningBatchAndStillMatches() {
        Sequence first = new Sequence(prompts.get(0), greedy12(), null);
        Sequence second = new Sequence(prompts.get(1), greedy12(), null);
        try (DecodeBatch batch = new DecodeBatch(model)) {
            batch.admit(List.of(first));
            for (int i = 0; i < 5; i++) {
                batch.step();
            }
            batch.admit(List.of(second)); // shorter cache than the running row: padded on the left
            while (!batch.isEmpty()) {
                batch.step();
            }
        }
        assertArrayEquals(expected.get(0), first.generated());
        assertArrayEquals(expected.get(1), second.generated());
    }

    @Test
    void stopTokenEndsTheSequenceAndAFinishedRowLeavesTheBatch() {
        long stopAt = expected.get(1)[9]; // 997, first seen at step 10 of prompt 1
        SamplingParams p = SamplingParams.greedy(12).stopTokenIds(java.util.Set.of(stopAt)).build();
        List<Sequence> out = Generator.generate(model, prompts, p, null);
        assertEquals(FinishReason.STOP, out.get(1).finishReason());
        assertArrayEquals(java.util.Arrays.copyOf(expected.get(1), 10), out.get(1).generated());
        // the other row keeps decoding alone after its neighbour left, still exact
        assertArrayEquals(expected.get(0), out.get(0).generated());
    }

    @Test
    void sameSeedSameSampleOtherSeedOtherSample() {
        SamplingParams a = SamplingParams.greedy(24).temperature(1.5f).topK(0).topP(0.95f).seed(7L).build();
        SamplingParams b = a.toBuilder().seed(8L).build();
        long[] x = Generator.generate(model, List.of(prompts.get(0)), a, null).get(0).generated();
        long[] y = Generator.generate(model, List.of(prompts.get(0)), a, null).get(0).generated();
        long[] z = Generator.generate(model, List.of(prompts.get(0)), b, null).get(0).generated();
        assertArrayEquals(x, y);
        assertNotEquals(java.util.Arrays.toString(x), java.util.Arrays.toString(z));
    }
}

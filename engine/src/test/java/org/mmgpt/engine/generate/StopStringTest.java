package org.mmgpt.engine.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.train.TinyModels;

/** Text streaming with stop strings on a model with the real Qwen2.5 tokenizer. */
class StopStringTest {
    @TempDir
    static Path tmp;
    static LanguageModel lm;
    static long[] prompt;

    @BeforeAll
    static void load() throws Exception {
        lm = LanguageModel.load(TinyModels.write(tmp.resolve("m"), 5), null);
        prompt = lm.tokenizer().encode("头痛发烧怎么办？ What should I do about a fever?");
    }

    @AfterAll
    static void close() {
        lm.close();
    }

    private static Sequence run(SamplingParams p, List<String> deltas) {
        Sequence s = lm.sequence(prompt, p, new Sequence.Listener() {
            @Override
            public void onToken(Sequence seq, int id, String delta) {
                deltas.add(delta);
            }
        });
        Generator.run(lm.model(), List.of(s));
        return s;
    }

    @Test
    void generationEndsBeforeTheStopStringWhichNoDeltaEverShows() {
        SamplingParams free = SamplingParams.greedy(40).seed(1L).temperature(1.0f).build();
        List<String> freeDeltas = new ArrayList<>();
        String full = run(free, freeDeltas).text();
        assertEquals(full, String.join("", freeDeltas), "the deltas add up to the text");
        assertTrue(full.length() > 12, "needs some text: " + full);
        String stop = full.substring(full.length() / 2, full.length() / 2 + 3);
        int cut = full.indexOf(stop);

        List<String> deltas = new ArrayList<>();
        Sequence s = run(free.toBuilder().stopStrings(List.of(stop)).build(), deltas);
        assertEquals(full.substring(0, cut), s.text());
        assertEquals(FinishReason.STOP, s.finishReason());
        assertEquals(s.text(), String.join("", deltas));
        assertFalse(String.join("", deltas).contains(stop));
        for (String d : deltas) {
            assertFalse(d.contains("\uFFFD"), "a broken character was streamed: " + d);
        }
    }

    @Test
    void maxNewTokensEndsWithLengthAndSameSeedSameText() {
        SamplingParams p = SamplingParams.greedy(7).temperature(0.9f).topP(0.9f).topK(20).seed(42L).build();
        Sequence a = run(p, new ArrayList<>());
        Sequence b = run(p, new ArrayList<>());
        assertEquals(FinishReason.LENGTH, a.finishReason());
        assertEquals(7, a.generatedCount());
        assertEquals(a.text(), b.text());
    }
}

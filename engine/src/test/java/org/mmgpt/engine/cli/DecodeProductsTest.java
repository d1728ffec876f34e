package org.mmgpt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.pytorch.jni.JniUtils;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.mmgpt.engine.Djl;
import org.mmgpt.engine.model.CausalLM;

/** The benchmark's products-alone probe and the arithmetic it feeds. */
class DecodeProductsTest {

    @Test
    void theProbeTimesEveryProductAndLeavesTheThreadCountsAsTheyWere() throws Exception {
        Djl.setThreads(2);
        try (CausalLM model = Bench.randomModel(Bench.config("tiny", 512), 1)) {
            double one = DecodeProducts.millisPerStep(model, 1, 2);
            double many = DecodeProducts.millisPerStep(model, 64, 2);
            assertTrue(one > 0 && many > one, "1 row " + one + " ms, 64 rows " + many + " ms");
        }
        // Each probe thread set its own count to 1, which also sets the default of threads not yet seen.
        assertEquals(2, JniUtils.getNumThreads());
        AtomicInteger fresh = new AtomicInteger();
        Thread t = new Thread(() -> fresh.set(JniUtils.getNumThreads()));
        t.start();
        t.join();
        assertEquals(2, fresh.get());
    }

    @Test
    void atTheRestItNamesBatch8IsExactly6TimesBatch1() {
        Pattern rest = Pattern.compile("batch 8 >= 6x batch 1: >= .* = (\\d+\\.\\d+) ms");
        for (double[] g : new double[][] {{4.05, 8.16}, {3.7, 7.85}, {5.0, 7.0}}) {
            String text = BenchGenerateCommand.batchGoalsTogether(Map.of(1L, g[0], 8L, g[1]), 250, 140);
            Matcher m = rest.matcher(text);
            assertTrue(m.find(), text);
            double o = Double.parseDouble(m.group(1));
            assertEquals(6.0, 8 * (g[0] + o) / (g[1] + o), 0.01, text);
        }
    }

    @Test
    void productsThatScaleWellAskNothingOfTheRestForBatch8() {
        String text = BenchGenerateCommand.batchGoalsTogether(Map.of(1L, 4.0, 8L, 5.0), 250, 140);
        assertTrue(text.contains("batch 8 >= 6x batch 1: nothing"), text); // 8·4/5 = 6.4× with nothing else
        assertEquals("", BenchGenerateCommand.batchGoalsTogether(Map.of(1L, 4.0), 250, 140));
    }

    @Test
    void batch1At70PercentLeavesTheRestWhatTheBoundAllows() {
        // 70% of 250 tok/s is 175 tok/s, 5.714 ms a token; the products take 4 of them.
        String text = BenchGenerateCommand.batchGoalsTogether(Map.of(1L, 4.0, 8L, 8.0), 250, 125);
        assertTrue(text.contains("batch 1 >= 70% of the bound: <= 1.71 ms"), text);
        assertTrue(text.contains("(measured: 4.00 ms)"), text); // 8 ms a token at 125 tok/s
    }
}

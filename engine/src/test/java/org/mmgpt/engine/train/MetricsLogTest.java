package org.mmgpt.engine.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {

    private static Map<String, Object> metrics(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    @Test
    void oneJsonObjectALineOnDiskAtOnce(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("out/metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(1, 0.25, metrics("loss", 2.5, "learning_rate", 1.0e-4));
            // flushed: readable before close
            assertEquals(List.of("{\"step\":1,\"epoch\":0.25,\"loss\":2.5,\"learning_rate\":1.0E-4}"),
                    Files.readAllLines(file, StandardCharsets.UTF_8));
            log.log(2, 0.5, metrics("loss", 2.25, "learning_rate", 2.0e-4, "tokens_per_second", 1234.5));
            log.append(metrics("step", 2, "eval_loss", 2.0, "perplexity", Math.exp(2.0), "split", "validation"));
        }
        List<Map<String, Object>> records = MetricsLog.read(file);
        assertEquals(3, records.size());
        assertEquals(List.of("step", "epoch", "loss", "learning_rate", "tokens_per_second"),
                List.copyOf(records.get(1).keySet()));
        assertEquals(2, ((Number) records.get(1).get("step")).intValue());
        assertEquals(0.5, records.get(1).get("epoch"));
        assertEquals(2.25, records.get(1).get("loss"));
        assertEquals(Math.exp(2.0), records.get(2).get("perplexity"));
        assertEquals("validation", records.get(2).get("split"));
    }

    @Test
    void reopeningAppends(@TempDir Path tmp) {
        Path file = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(1, 0.1, metrics("loss", 3.0));
        }
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(2, 0.2, metrics("loss", 2.0));
        }
        List<Map<String, Object>> records = MetricsLog.read(file);
        assertEquals(2, records.size());
        assertEquals(3.0, records.get(0).get("loss"));
        assertEquals(2.0, records.get(1).get("loss"));
    }

    @Test
    void resumeDropsWhatCameAfterTheCheckpointAndAHalfWrittenLine(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file)) {
            for (int step = 1; step <= 5; step++) {
                log.log(step, step / 10.0, metrics("loss", 5.0 - step));
            }
        }
        Files.writeString(file, "{\"step\":6,\"epo", java.nio.file.StandardOpenOption.APPEND); // a crash mid-line
        try (MetricsLog log = MetricsLog.resume(file, 3)) {
            log.log(4, 0.4, metrics("loss", 1.5));
        }
        List<Map<String, Object>> records = MetricsLog.read(file);
        assertEquals(List.of(1, 2, 3, 4), records.stream().map(r -> ((Number) r.get("step")).intValue()).toList());
        assertEquals(1.5, records.get(3).get("loss"));
        assertEquals(4, Files.readAllLines(file).size());
    }

    @Test
    void openingAfterACrashStartsANewLine(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("metrics.jsonl");
        Files.writeString(file, "{\"step\":1,\"loss\":2.0}\n{\"step\":2,\"lo");
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(3, 0.3, metrics("loss", 1.0));
        }
        List<String> lines = Files.readAllLines(file);
        assertEquals(3, lines.size());
        assertEquals("{\"step\":3,\"epoch\":0.3,\"loss\":1.0}", lines.get(2));
        assertEquals(2, MetricsLog.read(file).size(), "the cut line is not a record");
    }

    @Test
    void notANumberIsWrittenAsAString(@TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("metrics.jsonl");
        try (MetricsLog log = MetricsLog.open(file)) {
            log.log(1, 0.0, metrics("loss", Double.NaN, "grad_norm", Double.POSITIVE_INFINITY));
        }
        String line = Files.readAllLines(file).get(0);
        assertEquals("{\"step\":1,\"epoch\":0.0,\"loss\":\"NaN\",\"grad_norm\":\"Infinity\"}", line);
    }

    @Test
    void closedLogRefuses(@TempDir Path tmp) {
        MetricsLog log = MetricsLog.open(tmp.resolve("m.jsonl"));
        log.close();
        log.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> log.log(1, 0, Map.of()));
        assertTrue(e.getMessage().contains("closed"));
    }
}

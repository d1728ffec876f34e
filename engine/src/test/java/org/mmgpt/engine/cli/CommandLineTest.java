package org.mmgpt.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.engine.Goldens;
import org.mmgpt.engine.model.CausalLM;
import org.mmgpt.engine.model.ModelPresets;
import org.mmgpt.engine.tokenizer.QwenTokenizer;

/** The commands of ./mmgpt, run in-process against real model directories. */
class CommandLineTest {

    /** Runs a command; returns {exit code, stdout}. */
    private static Object[] run(String... argv) {
        PrintStream before = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int code = Main.run(argv);
            return new Object[] {code, out.toString(StandardCharsets.UTF_8)};
        } finally {
            System.setOut(before);
        }
    }

    @Test
    void logitsCommandWritesTransformersLogits(@TempDir Path tmp) throws Exception {
        JsonNode golden = Goldens.tinyJson();
        String ids = golden.get("prompts").get(0).toString().replaceAll("[\\[\\] ]", "");
        Path out = tmp.resolve("logits.json");
        Object[] r = run("logits", "--model", Goldens.tinyModel().toString(), "--ids", ids, "--output", out.toString());
        assertEquals(0, r[0]);
        JsonNode json = new ObjectMapper().readTree(out.toFile());
        assertEquals(golden.get("prompts").get(0), json.get("ids"));
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray expected = Goldens.tensor("logits_0", m);
            float[] flat = expected.toFloatArray();
            int v = (int) expected.getShape().get(1);
            double max = 0;
            for (int t = 0; t < json.get("logits").size(); t++) {
                for (int j = 0; j < v; j++) {
                    max = Math.max(max, Math.abs(json.get("logits").get(t).get(j).asDouble() - flat[t * v + j]));
                }
            }
            assertTrue(max < Goldens.LOGIT_TOL, "max |Δ| " + max);
        }
    }

    @Test
    void generateJsonGivesTheGreedyGoldenTokens() throws Exception {
        JsonNode golden = Goldens.tinyJson();
        String ids = golden.get("prompts").get(1).toString().replaceAll("[\\[\\] ]", "");
        Object[] r = run("generate", "--model", Goldens.tinyModel().toString(), "--prompt-ids", ids,
                "--max-new-tokens", "12", "--greedy", "--json");
        assertEquals(0, r[0]);
        JsonNode json = new ObjectMapper().readTree((String) r[1]);
        assertArrayEquals(Goldens.ids(golden.get("greedy_12").get(1)), Goldens.ids(json.get("ids")));
    }

    @Test
    void badArgumentsPrintUsageAndExitNonZero() {
        assertEquals(2, run("generate", "--model")[0]);
        assertEquals(2, run("generate", "--no-such-option", "1")[0]);
        assertEquals(2, run("no-such-command")[0]);
        assertEquals(2, run("generate", "--model", "x", "--max-new-tokens", "many", "--prompt", "hi")[0]);
        assertEquals(1, run("generate", "--model", "/does/not/exist", "--prompt", "hi")[0]);
    }

    @Test
    void templateShowsWhatTheModelSeesAndPassesVariables(@TempDir Path tmp) throws Exception {
        Path messages = tmp.resolve("m.json");
        Files.writeString(messages, "[{\"role\": \"system\", \"content\": \"你是一个医疗助手。\"},"
                + " {\"role\": \"user\", \"content\": \"感冒了怎么办？\"}]");
        String model = QwenTokenizer.directory().toString();
        Object[] r = run("template", "--model", model, "--messages", messages.toString(), "--add-generation-prompt");
        assertEquals(0, r[0]);
        assertEquals("<|im_start|>system\n你是一个医疗助手。<|im_end|>\n<|im_start|>user\n感冒了怎么办？<|im_end|>\n"
                + "<|im_start|>assistant\n", r[1]);
        Object[] json = run("template", "--model", model, "--messages", messages.toString(), "--json");
        JsonNode j = new ObjectMapper().readTree((String) json[1]);
        assertEquals(151644, j.get("ids").get(0).asLong()); // <|im_start|>
        assertTrue(j.get("text").asText().endsWith("<|im_end|>\n"));
        Object[] vicuna = run("template", "--model", model, "--messages", messages.toString(), "--template", "vicuna",
                "--add-generation-prompt");
        assertEquals("你是一个医疗助手。</s>USER: 感冒了怎么办？ ASSISTANT:", vicuna[1]);
        assertEquals(1, run("template", "--model", model, "--messages", messages.toString(), "--template", "nope")[0]);
    }

    @Test
    void chatKeepsHistoryClearsItAndExits(@TempDir Path tmp) throws Exception {
        Path model = org.mmgpt.engine.train.TinyModels.write(tmp.resolve("m"), 3);
        var in = System.in;
        System.setIn(new java.io.ByteArrayInputStream("你好\nclear\nhello\nexit\n".getBytes(StandardCharsets.UTF_8)));
        try {
            Object[] r = run("chat", "--model", model.toString(), "--max-new-tokens", "4", "--greedy");
            assertEquals(0, r[0]);
            String out = (String) r[1];
            assertEquals(2, out.split("assistant> ", -1).length - 1, out);
            assertTrue(out.contains("(history cleared)"), out);
        } finally {
            System.setIn(in);
        }
    }

    @Test
    void initModelWritesALoadableModelWithTheQwenTokenizer(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("tiny");
        Object[] r = run("init-model", "--preset", "tiny", "--output", dir.toString(),
                "--tokenizer", QwenTokenizer.directory().toString(), "--dtype", "bfloat16");
        assertEquals(0, r[0]);
        for (String f : new String[] {"config.json", "generation_config.json", "model.safetensors", "tokenizer.json",
                "tokenizer_config.json"}) {
            assertTrue(Files.isRegularFile(dir.resolve(f)), f);
        }
        try (CausalLM model = CausalLM.load(dir)) {
            assertEquals("bfloat16", model.config().dtype());
            long nonEmbedding = model.parameterCount() - (long) model.config().vocabSize() * model.config().hiddenSize();
            assertTrue(nonEmbedding > 1_000_000 && nonEmbedding < 10_000_000, "non-embedding " + nonEmbedding);
        }
        Object[] gen = run("generate", "--model", dir.toString(), "--prompt", "你好", "--max-new-tokens", "5",
                "--seed", "3", "--temperature", "1", "--json");
        assertEquals(0, gen[0]);
        assertEquals(5, new ObjectMapper().readTree((String) gen[1]).get("ids").size());
    }

    @Test
    void aLlama3ScaledModelExtendsThePresetsContextByTheFactor(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("llama3");
        Object[] r = run("init-model", "--preset", "micro", "--arch", "llama", "--rope-scaling", "llama3",
                "--rope-factor", "8", "--tokenizer", "none", "--vocab-size", "256", "--output", dir.toString());
        assertEquals(0, r[0]);
        // transformers warns when the original context is not below the model's one (as in Llama 3.1).
        JsonNode config = new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        int context = ModelPresets.get("micro").maxPositions();
        assertEquals(context, config.at("/rope_scaling/original_max_position_embeddings").asInt());
        assertEquals(context * 8, config.get("max_position_embeddings").asInt());
    }

    @Test
    void batchAnswersEveryQueryAsGenerateAnswersItAlone(@TempDir Path tmp) throws Exception {
        Path model = org.mmgpt.engine.train.TinyModels.write(tmp.resolve("model"), 9);
        Path data = tmp.resolve("queries.jsonl");
        Files.writeString(data, """
                {"query": "What is a fever?"}
                {"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}, {"role": "user", "content": "And a cold?"}]}
                {"query": "头痛怎么办？"}
                """);
        Path output = tmp.resolve("out.jsonl");
        String[] sampling = {"--temperature", "0.8", "--seed", "5", "--max-new-tokens", "8"};
        Object[] r = run(concat(new String[] {"batch", "--base_model", model.toString(), "--data_file", data.toString(),
                "--output_file", output.toString(), "--eval_batch_size", "2"}, sampling));
        assertEquals(0, r[0]);
        ObjectMapper json = new ObjectMapper();
        var lines = Files.readAllLines(output, StandardCharsets.UTF_8).stream().map(l -> {
            try {
                return json.readTree(l);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).toList();
        assertEquals(3, lines.size());
        assertEquals("And a cold?", lines.get(1).get("Input").asText());
        for (int i : new int[] {0, 2}) {
            String query = lines.get(i).get("Input").asText();
            Object[] alone = run(concat(new String[] {"generate", "--model", model.toString(), "--chat", "--prompt", query,
                    "--json"}, sampling));
            assertEquals(json.readTree((String) alone[1]).get("text").asText(), lines.get(i).get("Output").asText(), query);
        }

        Files.writeString(data, "{\"query\": \"fine\"}\n{\"question\": \"wrong\"}\n");
        assertEquals(1, run("batch", "--model", model.toString(), "--data-file", data.toString(),
                "--output-file", output.toString())[0]);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] all = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}

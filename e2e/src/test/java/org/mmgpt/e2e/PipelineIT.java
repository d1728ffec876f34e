package org.mmgpt.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.mmgpt.e2e.harness.Gateway;
import org.mmgpt.e2e.harness.LocalSystem;
import org.mmgpt.engine.chat.ChatMessage;
import org.mmgpt.engine.generate.Generator;
import org.mmgpt.engine.generate.LanguageModel;
import org.mmgpt.engine.generate.SamplingParams;
import org.mmgpt.engine.generate.Sequence;
import org.mmgpt.engine.model.NewModel;

/**
 * The system as a user runs it: a real broker and the packaged gateway, trainer, merger and
 * inference worker, each a process of its own on one storage root, driven only through REST. The
 * model is the tiny preset with the real Qwen2.5 tokenizer; the data is the project's data/.
 */
class PipelineIT {

    /** Guards against a hang; nothing here asserts a duration. */
    private static final Duration JOB_END = Duration.ofMinutes(10);
    private static final Duration PIPELINE_END = Duration.ofMinutes(20);

    private static LocalSystem system;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws IOException {
        system = LocalSystem.builder("pipeline").start();
        gateway = system.gateway();
        Path storage = system.storage();
        NewModel.qwen2("tiny", system.root().resolve("models/qwen2.5-tokenizer"), 42)
                .write(storage.resolve("models/tiny"));
        for (String data : List.of("pretrain", "finetune", "reward")) {
            copyTree(system.root().resolve("data").resolve(data), storage.resolve("data").resolve(data));
        }
    }

    @AfterAll
    static void stop() {
        if (system != null) {
            system.close();
        }
    }

    /** Small steps on short sequences, so each stage takes seconds. */
    private static Map<String, Object> smallTraining(Map<String, Object> params) {
        Map<String, Object> p = new LinkedHashMap<>(params);
        p.put("max_steps", 2);
        p.put("per_device_train_batch_size", 2);
        p.put("per_device_eval_batch_size", 2);
        p.put("gradient_accumulation_steps", 1);
        p.put("max_eval_samples", 2);
        p.put("logging_steps", 1);
        p.put("learning_rate", 1e-3);
        p.put("target_modules", List.of("q_proj", "v_proj", "down_proj"));
        return p;
    }

    @Test
    void aPipelineRunsEveryStageOnThePackagedServicesAndEndsWithAModelThatGenerates() throws IOException {
        Map<String, Object> params = smallTraining(Map.of(
                "model_name_or_path", "models/tiny",
                "pt", Map.of("train_file_dir", "data/pretrain", "block_size", 64),
                "sft", Map.of("train_file_dir", "data/finetune", "model_max_length", 128),
                "dpo", Map.of("train_file_dir", "data/reward", "max_source_length", 64, "max_target_length", 32)));
        JsonNode queued = gateway.submit("pipeline", params);
        String id = queued.get("id").asText();
        List<String> children = texts(queued.get("children"));
        assertEquals(List.of(id + "-1-pt", id + "-2-merge", id + "-3-sft", id + "-4-merge", id + "-5-dpo", id + "-6-merge"),
                children);

        JsonNode pipeline = gateway.awaitEnd(id, PIPELINE_END);
        assertEquals("SUCCEEDED", pipeline.get("state").asText(), () -> pipeline + system.logTails(40));
        assertEquals(List.of("models/" + id), texts(pipeline.get("artifacts")));
        assertEquals(6, pipeline.at("/progress/step").asInt());

        // Each stage succeeded, on the previous stage's result, and left its artifact in storage.
        String base = "models/tiny";
        for (int i = 0; i < children.size(); i++) {
            JsonNode child = gateway.job(children.get(i));
            String type = child.get("type").asText();
            assertEquals("SUCCEEDED", child.get("state").asText(), child::toString);
            assertEquals(id, child.get("parent_id").asText());
            assertEquals(1, child.get("attempts").asInt(), child::toString);
            List<String> artifacts = texts(child.get("artifacts"));
            assertEquals(1, artifacts.size(), child::toString);
            Path artifact = system.storage().resolve(artifacts.get(0));
            if (type.equals("merge")) {
                assertEquals(base, child.at("/params/base_model").asText());
                assertEquals("adapters/" + children.get(i - 1), child.at("/params/lora_model").asText());
                assertEquals(i == children.size() - 1 ? "models/" + id : "models/" + children.get(i), artifacts.get(0));
                assertTrue(Files.isRegularFile(artifact.resolve("config.json")), artifact::toString);
                assertTrue(Files.isRegularFile(artifact.resolve("model.safetensors")), artifact::toString);
                assertTrue(Files.readString(artifact.resolve("merge_check.json")).contains("\"passed\" : true"),
                        artifact::toString);
                base = artifacts.get(0);
            } else {
                assertEquals(base, child.at("/params/model_name_or_path").asText());
                assertEquals("adapters/" + children.get(i), artifacts.get(0));
                assertTrue(Files.isRegularFile(artifact.resolve("adapter_config.json")), artifact::toString);
                assertTrue(Files.isRegularFile(artifact.resolve("adapter_model.safetensors")), artifact::toString);
                JsonNode adapterConfig = new ObjectMapper().readTree(artifact.resolve("adapter_config.json").toFile());
                assertEquals(Set.of("q_proj", "v_proj", "down_proj"), Set.copyOf(texts(adapterConfig.get("target_modules"))),
                        adapterConfig::toString);
                assertTrue(child.at("/metrics/train_loss").isNumber(), child::toString);
            }
        }
        JsonNode dpo = gateway.job(children.get(4));
        assertTrue(dpo.at("/metrics/rewards~1accuracies").isNumber(), dpo::toString);

        // The artifacts API lists all of them.
        Set<String> listed = new java.util.HashSet<>();
        gateway.get("/v1/artifacts").json().get("items").forEach(item -> listed.add(item.get("path").asText()));
        for (String expected : List.of("adapters/" + children.get(0), "models/" + children.get(1),
                "adapters/" + children.get(2), "models/" + children.get(3), "adapters/" + children.get(4), "models/" + id)) {
            assertTrue(listed.contains(expected), () -> expected + " not in " + listed);
        }

        // The trainer's progress reached the client as server-sent events, replayed in order.
        List<JsonNode> events = gateway.events(children.get(0), Duration.ofMinutes(1));
        for (int i = 0; i < events.size(); i++) {
            assertEquals(i + 1, events.get(i).get("seq").asLong(), events::toString);
        }
        assertEquals("QUEUED", events.get(0).get("state").asText());
        assertEquals("SUCCEEDED", events.get(events.size() - 1).get("state").asText());
        // A 2-step stage may end before the first periodic report (every 1 s here); its end then carries
        // the progress and loss, as a dashboard draws them.
        assertTrue(events.stream().anyMatch(e -> Set.of("RUNNING", "SUCCEEDED").contains(e.get("state").asText())
                && e.at("/progress/total_steps").asInt() == 2 && e.at("/progress/step").asInt() >= 1
                && e.at("/metrics/loss").isNumber()), events::toString);

        // The final model was trained (its weights differ from the base's), loads, and generates.
        Path finalModel = system.storage().resolve("models/" + id);
        assertNotEquals(-1L, Files.mismatch(finalModel.resolve("model.safetensors"),
                system.storage().resolve("models/tiny/model.safetensors")));
        try (LanguageModel lm = LanguageModel.load(finalModel, null)) {
            long[] prompt = lm.chatPrompt(lm.template(null), List.of(ChatMessage.user("发烧了怎么办？")));
            Sequence sequence = lm.sequence(prompt, SamplingParams.greedy(4).build(), null);
            Generator.run(lm.model(), List.of(sequence));
            int generated = sequence.generated().length;
            assertTrue(generated >= 1 && generated <= 4, "generated " + generated + " tokens");
        }
    }

    @Test
    void aJobWithMalformedDataFailsNamingFileAndLineAndTheTrainerTakesTheNextJob() throws IOException {
        Path broken = system.storage().resolve("data/broken-sft/consults.jsonl");
        Files.createDirectories(broken.getParent());
        Files.writeString(broken, String.join("\n",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"头痛怎么办？\"}, {\"from\": \"gpt\", \"value\": \"多休息，必要时就医。\"}]}",
                "{\"conversations\": [{\"from\": \"human\", \"value\": \"发烧\"}",
                "{\"conversations\": \"not a list\"}",
                ""), StandardCharsets.UTF_8);
        long trainerPid = system.trainers().get(0).process().pid();

        String bad = gateway.submit("sft", smallTraining(Map.of(
                "model_name_or_path", "models/tiny", "train_file_dir", "data/broken-sft"))).get("id").asText();
        String next = gateway.submit("pt", smallTraining(Map.of(
                "model_name_or_path", "models/tiny", "train_file_dir", "data/pretrain", "block_size", 32))).get("id").asText();

        JsonNode failed = gateway.awaitEnd(bad, JOB_END);
        assertEquals("FAILED", failed.get("state").asText(), failed::toString);
        String error = failed.get("error").asText();
        // named as the client named them: relative to the storage root
        assertTrue(error.contains("\ndata/broken-sft/consults.jsonl:2: invalid JSON"), error);
        assertTrue(error.contains("\ndata/broken-sft/consults.jsonl:3: field 'conversations' must be a list"), error);
        assertFalse(error.contains("consults.jsonl:1:"), error);
        assertFalse(error.contains(system.storage().toString()), error);

        JsonNode succeeded = gateway.awaitEnd(next, JOB_END);
        assertEquals("SUCCEEDED", succeeded.get("state").asText(), () -> succeeded + system.logTails(40));
        assertEquals(List.of("adapters/" + next), texts(succeeded.get("artifacts")));
        assertTrue(Files.isRegularFile(system.storage().resolve("adapters/" + next).resolve("adapter_model.safetensors")));
        assertEquals(trainerPid, system.trainers().get(0).process().pid());
        assertTrue(system.trainers().get(0).process().isAlive());
        assertTrue(system.trainers().get(0).ready());
    }

    @Test
    void aMalformedRequestGetsA400NamingEveryBadFieldAndQueuesNothing() {
        int jobsBefore = gateway.get("/v1/jobs").json().get("total").asInt();
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("model_name_or_path", "models/no-such-model");
        params.put("max_steps", -3);
        params.put("learning_rate", "fast");
        params.put("lora_rank", 0);
        params.put("block_size", 128);
        params.put("colour", "blue");
        Gateway.Response response = gateway.post("/v1/jobs", Map.of("type", "sft", "params", params));
        assertEquals(400, response.status(), response.text());
        Map<String, String> fields = new TreeMap<>();
        response.json().get("fields").forEach(f -> fields.put(f.get("field").asText(), f.get("message").asText()));
        assertEquals(Set.of("params.model_name_or_path", "params.train_file_dir", "params.max_steps",
                "params.learning_rate", "params.lora_rank", "params.block_size", "params.colour"), fields.keySet(),
                fields::toString);
        assertTrue(fields.get("params.model_name_or_path").contains("does not exist"), fields::toString);

        Gateway.Response badType = gateway.post("/v1/jobs", Map.of("type", "finetune", "params", Map.of()));
        assertEquals(400, badType.status(), badType.text());
        assertEquals("type", badType.json().at("/fields/0/field").asText(), badType.text());

        Gateway.Response notJson = gateway.post("/v1/jobs", "{\"type\": \"pt\", ");
        assertEquals(400, notJson.status(), notJson.text());
        assertEquals("body", notJson.json().at("/fields/0/field").asText(), notJson.text());

        assertEquals(jobsBefore, gateway.get("/v1/jobs").json().get("total").asInt());
    }

    private static List<String> texts(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(node -> out.add(node.asText()));
        return out;
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path source : files.toList()) {
                Path target = to.resolve(from.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
    }
}

package org.mmgpt.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.InvalidJobException;
import org.mmgpt.protocol.params.JobValidator;
import org.mmgpt.protocol.params.Param;
import org.mmgpt.protocol.storage.ArtifactStore;

/**
 * The start-a-job form's defaults (src/jobs/seed-defaults.json) are the seed's: the options of
 * scripts/train_pt.sh, train_sft.sh and train_dpo.sh, value for value, and the gateway accepts them
 * as they are, for each stage, for a pipeline made of them and for a batch-inference job.
 */
class SeedDefaultsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final TypeReference<Map<String, Object>> PARAMS = new TypeReference<>() {
    };
    private static final Path WEB = Path.of("").toAbsolutePath();
    private static final Path REPO = WEB.getParent();
    /** Script options that are no job parameter: what to run, and where the services put results. */
    private static final Set<String> NOT_PARAMETERS = Set.of("do_train", "do_eval", "output_dir");
    private static final Pattern OPTION = Pattern.compile("^\\s*--([a-z0-9-]+)(?:\\s+(\"[^\"]*\"|\\S+))?\\s*\\\\?\\s*$");

    private static JsonNode defaults() throws IOException {
        return JSON.readTree(WEB.resolve("src/jobs/seed-defaults.json").toFile());
    }

    /** The options a training script passes to ./mmgpt train, by parameter name. */
    private static Map<String, String> scriptOptions(String script) throws IOException {
        Map<String, String> options = new TreeMap<>();
        for (String line : Files.readAllLines(REPO.resolve("scripts").resolve(script))) {
            Matcher m = OPTION.matcher(line);
            if (m.matches()) {
                options.put(m.group(1).replace('-', '_'), m.group(2) == null ? "true" : m.group(2).replace("\"", ""));
            }
        }
        return options;
    }

    @Test
    void eachStageHasExactlyTheOptionsOfItsScript() throws IOException {
        JsonNode all = defaults();
        for (String stage : new String[] {"pt", "sft", "dpo"}) {
            Map<String, String> script = scriptOptions("train_" + stage + ".sh");
            assertTrue(script.size() > 15, "read the options of train_" + stage + ".sh: " + script);
            NOT_PARAMETERS.forEach(script::remove);
            // the scripts take the model from $MODEL, models/tiny unless the previous stage's merge exists
            assertEquals("$MODEL", script.remove("model_name_or_path"), stage);

            Map<String, String> form = new TreeMap<>();
            all.get(stage).properties().forEach(e -> form.put(e.getKey(), e.getValue().asText()));
            assertEquals("models/tiny", form.remove("model_name_or_path"), stage);
            assertEquals(script.keySet(), form.keySet(), "parameters of " + stage);
            script.forEach((name, value) -> {
                String shown = form.get(name);
                if (isNumber(value)) {
                    assertTrue(isNumber(shown), stage + "." + name + ": script " + value + ", form " + shown);
                    assertEquals(Double.parseDouble(value), Double.parseDouble(shown), 0.0, stage + "." + name);
                } else {
                    assertEquals(value, shown, stage + "." + name);
                }
            });
        }
    }

    @Test
    void theGatewayAcceptsTheDefaultsOfEveryStageAndOfAPipeline(@TempDir Path storage) throws IOException {
        for (String dir : new String[] {"models/tiny", "adapters/a1", "data/pretrain", "data/finetune", "data/reward"}) {
            Files.createDirectories(storage.resolve(dir));
        }
        JobValidator validator = new JobValidator(new ArtifactStore(storage));
        JsonNode all = defaults();
        Map<String, Object> pipeline = new LinkedHashMap<>();
        pipeline.put("model_name_or_path", "models/tiny");
        for (String stage : new String[] {"pt", "sft", "dpo"}) {
            Map<String, Object> params = JSON.convertValue(all.get(stage), PARAMS);
            valid(validator, stage, params);
            params.remove("model_name_or_path");
            pipeline.put(stage, params);
        }
        valid(validator, "pipeline", pipeline);
        Map<String, Object> merge = JSON.convertValue(all.get("merge"), PARAMS);
        assertEquals("", merge.get("lora_model"), "the user picks the adapter");
        merge.put("lora_model", "adapters/a1");
        valid(validator, "merge", merge);

        Map<String, Object> inference = JSON.convertValue(all.get("batch-inference"), PARAMS);
        assertEquals("", inference.get("data_file"), "the user picks the queries");
        assertEquals("", inference.remove("lora_model"), "no adapter unless the user names one");
        Files.writeString(storage.resolve("data/queries.jsonl"), "{\"query\": \"hi\"}\n");
        inference.put("data_file", "data/queries.jsonl");
        valid(validator, "batch-inference", inference);
    }

    /**
     * The keys the form lists for a batch-inference job's JSON editor (BATCH_INFERENCE_PARAMS in
     * defaults.ts) are exactly the job's parameters other than its own fields and the services' retry
     * and deadline settings.
     */
    @Test
    void theBatchInferenceKeysTheFormListsAreTheJobsParameters() throws IOException {
        String source = Files.readString(WEB.resolve("src/jobs/defaults.ts"));
        Matcher block = Pattern.compile("BATCH_INFERENCE_PARAMS = \\[([^\\]]*)\\]").matcher(source);
        assertTrue(block.find(), "BATCH_INFERENCE_PARAMS in defaults.ts");
        Set<String> listed = new TreeSet<>();
        Matcher name = Pattern.compile("'([a-z_]+)'").matcher(block.group(1));
        while (name.find()) {
            listed.add(name.group(1));
        }
        Set<String> fields = Set.of("base_model", "lora_model", "data_file", "output_file", "max_retries", "deadline_seconds");
        Set<String> params = new TreeSet<>();
        for (Param p : Param.values()) {
            if (p.appliesTo(JobType.BATCH_INFERENCE) && !fields.contains(p.wireName())) {
                params.add(p.wireName());
            }
        }
        assertEquals(params, listed);
    }

    private static void valid(JobValidator validator, String type, Map<String, Object> params) {
        try {
            validator.validate(Map.of("type", type, "params", params), "job-seed-" + type);
        } catch (InvalidJobException e) {
            fail(type + " defaults refused: " + e.getMessage());
        }
    }

    private static boolean isNumber(String s) {
        return s != null && s.matches("-?[0-9.]+([eE][-+]?[0-9]+)?");
    }
}

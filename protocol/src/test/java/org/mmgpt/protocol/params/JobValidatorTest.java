package org.mmgpt.protocol.params;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.JobValidator.ValidJob;
import org.mmgpt.protocol.storage.ArtifactStore;

class JobValidatorTest {

    /** The storage root and a directory beside it, both inside one temporary directory. */
    @TempDir
    Path base;
    Path root;
    Path outside;

    JobValidator validator;

    @BeforeEach
    void storage() throws IOException {
        root = Files.createDirectories(base.resolve("storage"));
        outside = Files.createDirectories(base.resolve("outside"));
        Files.createDirectories(root.resolve("models/base"));
        Files.createDirectories(root.resolve("data/finetune"));
        Files.createDirectories(root.resolve("data/pretrain"));
        Files.createDirectories(root.resolve("data/reward"));
        Files.createDirectories(root.resolve("adapters/a1"));
        Files.createSymbolicLink(root.resolve("data/escape"), outside);
        validator = new JobValidator(new ArtifactStore(root));
    }

    private static Map<String, Object> body(String type, Map<String, Object> params) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", type);
        body.put("params", params);
        return body;
    }

    private Map<String, String> errors(Map<String, ?> body) {
        InvalidJobException e = assertThrows(InvalidJobException.class, () -> validator.validate(body, "job-1"));
        return e.errors().stream().collect(Collectors.toMap(FieldError::field, FieldError::message, (a, b) -> a + " | " + b));
    }

    @Test
    void validSftJobIsNormalizedAndGetsTheServiceDefaults() throws Exception {
        ValidJob job = validator.validate(body("sft", Map.of(
                "model_name_or_path", "./models/base/",
                "train_file_dir", "data/finetune",
                "max_steps", 10,
                "learning_rate", 2e-5,
                "num_train_epochs", 1,
                "target_modules", "q_proj, v_proj",
                "template_name", "qwen")), "job-1");
        assertEquals(JobType.SFT, job.type());
        JobParams p = job.params();
        assertEquals("models/base", p.text(Param.MODEL_NAME_OR_PATH).orElseThrow());
        assertEquals(10L, p.integer(Param.MAX_STEPS).getAsLong());
        assertEquals(1.0, p.number(Param.NUM_TRAIN_EPOCHS).getAsDouble());
        assertEquals(List.of("q_proj", "v_proj"), p.names(Param.TARGET_MODULES));
        assertEquals(true, p.flag(Param.USE_PEFT).orElseThrow());
        assertEquals(3, p.maxRetries());
        assertEquals("adapters/job-1", p.text(Param.OUTPUT_DIR).orElseThrow());
    }

    @Test
    void fullTrainingAndMergesPublishModels() throws Exception {
        JobParams full = validator.validate(body("pt", Map.of("model_name_or_path", "models/base",
                "train_file_dir", "data/pretrain", "use_peft", false)), "job-2").params();
        assertEquals("models/job-2", full.text(Param.OUTPUT_DIR).orElseThrow());
        JobParams merge = validator.validate(body("merge", Map.of("base_model", "models/base",
                "lora_model", "adapters/a1")), "job-3").params();
        assertEquals("models/job-3", merge.text(Param.OUTPUT_DIR).orElseThrow());
    }

    @Test
    void namesEveryInvalidFieldAtOnce() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("model_name_or_path", "/etc/passwd");
        params.put("train_file_dir", "data/../../secret");
        params.put("validation_file_dir", "data/escape");
        params.put("output_dir", "~/out");
        params.put("max_steps", "ten");
        params.put("learning_rate", 0);
        params.put("lora_dropout", 1.0);
        params.put("per_device_train_batch_size", 2.5);
        params.put("use_peft", "yes");
        params.put("lr_scheduler_type", "sawtooth");
        params.put("beta", 0.1);
        params.put("gradient_checkpointing", true); // valid: an option of every training stage
        params.put("no_such_option", true);
        Map<String, String> errors = errors(body("sft", params));

        assertTrue(errors.get("params.model_name_or_path").contains("relative to the storage root"), errors.toString());
        assertTrue(errors.get("params.train_file_dir").contains("'..'"), errors.toString());
        assertTrue(errors.get("params.validation_file_dir").contains("outside the storage root"), errors.toString());
        assertTrue(errors.get("params.output_dir").contains("relative to the storage root"), errors.toString());
        assertTrue(errors.get("params.max_steps").contains("integer"), errors.toString());
        assertTrue(errors.get("params.learning_rate").contains("> 0"), errors.toString());
        assertTrue(errors.get("params.lora_dropout").contains("< 1"), errors.toString());
        assertTrue(errors.get("params.per_device_train_batch_size").contains("integer"), errors.toString());
        assertTrue(errors.get("params.use_peft").contains("true or false"), errors.toString());
        assertTrue(errors.get("params.lr_scheduler_type").contains("cosine"), errors.toString());
        assertTrue(errors.get("params.beta").contains("not a parameter of sft jobs (used by dpo)"), errors.toString());
        assertEquals("unknown parameter", errors.get("params.no_such_option"));
        assertEquals(12, errors.size(), errors.toString());
    }

    @Test
    void missingRequiredFieldsAndInputsAreNamed() {
        Map<String, String> errors = errors(body("dpo", Map.of("model_name_or_path", "models/nothing-here")));
        assertTrue(errors.get("params.model_name_or_path").contains("does not exist"), errors.toString());
        assertEquals("is required for dpo jobs", errors.get("params.train_file_dir"));
        Map<String, String> merge = errors(body("merge", Map.of()));
        assertEquals("is required for merge jobs", merge.get("params.base_model"));
        assertEquals("is required for merge jobs", merge.get("params.lora_model"));
    }

    @Test
    void badTypeParamsAndBodyFieldsAreNamed() {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "rlhf");
        body.put("params", List.of(1));
        body.put("name", "x");
        Map<String, String> errors = errors(body);
        assertTrue(errors.get("type").contains("pt, sft, dpo, merge, pipeline"), errors.toString());
        assertTrue(errors.get("params").contains("JSON object"), errors.toString());
        assertTrue(errors.get("name").contains("unknown field"), errors.toString());
        assertTrue(errors(Map.of()).get("type").startsWith("is required"));
    }

    @Test
    void pipelineTakesSharedParamsAtTheTopAndDataPerStage() throws Exception {
        JobParams p = validator.validate(body("pipeline", Map.of(
                "model_name_or_path", "models/base",
                "max_steps", 5,
                "beta", 0.2,
                "pt", Map.of("train_file_dir", "data/pretrain", "block_size", 128),
                "sft", Map.of("train_file_dir", "data/finetune"),
                "dpo", Map.of("train_file_dir", "data/reward", "max_steps", 3))), "job-9").params();
        assertEquals("models/job-9", p.text(Param.OUTPUT_DIR).orElseThrow());
        assertEquals(128L, p.stage(JobType.PT).integer(Param.BLOCK_SIZE).getAsLong());
        assertEquals(3L, p.stage(JobType.DPO).integer(Param.MAX_STEPS).getAsLong());
    }

    @Test
    void pipelineErrorsNameTheStageField() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("model_name_or_path", "models/base");
        params.put("train_file_dir", "data/pretrain");
        params.put("base_model", "models/base");
        params.put("use_peft", false);
        params.put("pt", Map.of("train_file_dir", "data/pretrain", "output_dir", "models/x"));
        params.put("sft", Map.of("beta", 0.1));
        params.put("dpo", "data/reward");
        Map<String, String> errors = errors(body("pipeline", params));
        assertTrue(errors.get("params.train_file_dir").contains("params.pt, params.sft or params.dpo"), errors.toString());
        assertTrue(errors.get("params.base_model").contains("set by the pipeline"), errors.toString());
        assertTrue(errors.get("params.use_peft").contains("must be true"), errors.toString());
        assertTrue(errors.get("params.pt.output_dir").contains("set by the pipeline"), errors.toString());
        assertTrue(errors.get("params.sft.beta").contains("not a parameter of sft"), errors.toString());
        assertTrue(errors.get("params.sft.train_file_dir").contains("required"), errors.toString());
        assertTrue(errors.get("params.dpo").contains("JSON object"), errors.toString());
        assertEquals(7, errors.size(), errors.toString());
    }

    @Test
    void batchInferenceTakesTheSeedsInferenceArgumentsAndDefaultsItsOutputFile() throws Exception {
        Files.createDirectories(root.resolve("data/queries"));
        Files.writeString(root.resolve("data/queries/q.jsonl"), "{\"query\": \"hi\"}\n");
        ValidJob job = validator.validate(body("batch-inference", Map.of("base_model", "models/base",
                "lora_model", "adapters/a1", "data_file", "data/queries/q.jsonl", "temperature", 0.7, "seed", 3,
                "max_new_tokens", 64, "system_prompt", "You are a doctor.")), "job-1");
        assertEquals(JobType.BATCH_INFERENCE, job.type());
        assertEquals("predictions/job-1.jsonl", job.params().text(Param.OUTPUT_FILE).orElseThrow());
        assertTrue(job.params().text(Param.OUTPUT_DIR).isEmpty());

        Map<String, String> errors = errors(body("batch-inference", Map.of("data_file", "data/none.jsonl",
                "learning_rate", 0.1, "top_p", 1.5)));
        assertEquals("is required for batch-inference jobs", errors.get("params.base_model"));
        assertTrue(errors.get("params.data_file").contains("does not exist"), errors.toString());
        assertTrue(errors.get("params.learning_rate").contains("not a parameter of batch-inference jobs"), errors.toString());
        assertTrue(errors.get("params.top_p").contains("≤ 1"), errors.toString());
    }

    @Test
    void aPipelineRefusesAtItsTopAParameterNoneOfItsStagesTakes() {
        Map<String, String> errors = errors(body("pipeline", Map.of("model_name_or_path", "models/base",
                "temperature", 0.7,
                "pt", Map.of("train_file_dir", "data/pretrain"),
                "sft", Map.of("train_file_dir", "data/finetune"),
                "dpo", Map.of("train_file_dir", "data/reward"))));
        assertEquals("is not a parameter of pipeline jobs (used by batch-inference)", errors.get("params.temperature"));
    }
}

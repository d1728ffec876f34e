package org.mmgpt.protocol.params;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.params.PipelinePlan.Stage;

class PipelinePlanTest {

    private final JobParams pipeline = JobParams.of(Map.of(
            "model_name_or_path", "models/base",
            "output_dir", "models/medical",
            "max_steps", 5L,
            "beta", 0.2,
            "max_retries", 2L,
            "pt", Map.of("train_file_dir", "data/pretrain"),
            "sft", Map.of("train_file_dir", "data/finetune", "max_steps", 7L),
            "dpo", Map.of("train_file_dir", "data/reward")));

    @Test
    void eachStageBuildsOnThePreviousMergedModel() {
        List<Stage> stages = PipelinePlan.stages("job-p", pipeline);
        assertEquals(List.of("job-p-1-pt", "job-p-2-merge", "job-p-3-sft", "job-p-4-merge", "job-p-5-dpo", "job-p-6-merge"),
                stages.stream().map(Stage::jobId).toList());
        assertEquals(PipelinePlan.childIds("job-p"), stages.stream().map(Stage::jobId).toList());
        assertEquals(List.of(JobType.PT, JobType.MERGE, JobType.SFT, JobType.MERGE, JobType.DPO, JobType.MERGE),
                stages.stream().map(Stage::type).toList());

        JobParams pt = stages.get(0).params();
        assertEquals("models/base", pt.text(Param.MODEL_NAME_OR_PATH).orElseThrow());
        assertEquals("adapters/job-p-1-pt", pt.text(Param.OUTPUT_DIR).orElseThrow());
        assertEquals(5L, pt.integer(Param.MAX_STEPS).getAsLong());
        assertEquals(false, pt.has(Param.BETA));

        JobParams merge1 = stages.get(1).params();
        assertEquals(Map.of("base_model", "models/base", "lora_model", "adapters/job-p-1-pt",
                "output_dir", "models/job-p-2-merge", "max_retries", 2L), merge1.asMap());

        JobParams sft = stages.get(2).params();
        assertEquals("models/job-p-2-merge", sft.text(Param.MODEL_NAME_OR_PATH).orElseThrow());
        assertEquals(7L, sft.integer(Param.MAX_STEPS).getAsLong());
        assertEquals("data/finetune", sft.text(Param.TRAIN_FILE_DIR).orElseThrow());

        JobParams dpo = stages.get(4).params();
        assertEquals("models/job-p-4-merge", dpo.text(Param.MODEL_NAME_OR_PATH).orElseThrow());
        assertEquals(0.2, dpo.number(Param.BETA).getAsDouble());

        JobParams last = stages.get(5).params();
        assertEquals("adapters/job-p-5-dpo", last.text(Param.LORA_MODEL).orElseThrow());
        assertEquals("models/medical", last.text(Param.OUTPUT_DIR).orElseThrow());
    }

    @Test
    void thePlanIsTheSameEveryTime() {
        assertEquals(PipelinePlan.stages("job-p", pipeline), PipelinePlan.stages("job-p", pipeline));
    }
}

package org.mmgpt.protocol.params;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mmgpt.protocol.jobs.JobType;
import org.mmgpt.protocol.storage.ArtifactStore;

/**
 * The seed's run_pipeline.sh as data: PT → merge → SFT → merge → DPO → merge, each training stage's
 * base the previous merged model. Child ids and every child's parameters are a pure function of the
 * pipeline's id and parameters, so whoever runs the pipeline (again, after a restart, or twice)
 * produces the same children and never a second copy of a stage.
 */
public final class PipelinePlan {

    private static final List<JobType> ORDER = List.of(
            JobType.PT, JobType.MERGE, JobType.SFT, JobType.MERGE, JobType.DPO, JobType.MERGE);

    private PipelinePlan() {
    }

    /** One child job of a pipeline; {@code number} counts from 1. */
    public record Stage(int number, String jobId, JobType type, JobParams params) {
    }

    public static List<String> childIds(String pipelineId) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < ORDER.size(); i++) {
            ids.add(childId(pipelineId, i + 1, ORDER.get(i)));
        }
        return ids;
    }

    public static List<Stage> stages(String pipelineId, JobParams pipeline) {
        List<Stage> stages = new ArrayList<>();
        String base = pipeline.text(Param.MODEL_NAME_OR_PATH).orElseThrow();
        String finalOutput = pipeline.text(Param.OUTPUT_DIR)
                .orElse(ArtifactStore.defaultOutputDir(JobType.PIPELINE, pipelineId, false));
        String adapter = null;
        for (int i = 0; i < ORDER.size(); i++) {
            JobType type = ORDER.get(i);
            String id = childId(pipelineId, i + 1, type);
            Map<String, Object> params = shared(pipeline, type);
            if (type == JobType.MERGE) {
                String output = i == ORDER.size() - 1 ? finalOutput : ArtifactStore.defaultOutputDir(type, id, false);
                params.put(Param.BASE_MODEL.wireName(), base);
                params.put(Param.LORA_MODEL.wireName(), adapter);
                params.put(Param.OUTPUT_DIR.wireName(), output);
                base = output;
            } else {
                params.putAll(pipeline.stage(type).asMap());
                adapter = ArtifactStore.defaultOutputDir(type, id, true);
                params.put(Param.MODEL_NAME_OR_PATH.wireName(), base);
                params.put(Param.USE_PEFT.wireName(), true);
                params.put(Param.OUTPUT_DIR.wireName(), adapter);
            }
            stages.add(new Stage(i + 1, id, type, JobParams.of(params)));
        }
        return stages;
    }

    /** The pipeline's top-level parameters that a stage of this type takes. */
    private static Map<String, Object> shared(JobParams pipeline, JobType type) {
        Map<String, Object> out = new LinkedHashMap<>();
        pipeline.asMap().forEach((name, value) -> Param.byWireName(name)
                .filter(p -> p.placement() == Param.Placement.SHARED && p.appliesTo(type))
                .ifPresent(p -> out.put(name, value)));
        return out;
    }

    private static String childId(String pipelineId, int number, JobType type) {
        return pipelineId + "-" + number + "-" + type.wireName();
    }
}

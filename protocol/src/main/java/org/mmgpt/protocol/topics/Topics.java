package org.mmgpt.protocol.topics;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.mmgpt.protocol.jobs.JobType;

/**
 * Every topic of the system, in one place. Services create the missing ones at start
 * ({@link TopicProvisioner}); application.properties maps channels onto these names.
 */
public final class Topics {

    /** pt, sft and dpo requests ({@code JobRequest}, keyed by job id) for the trainers' consumer group. */
    public static final String STAGE_REQUESTS = "mmgpt.stage-requests";
    /** merge requests ({@code JobRequest}, keyed by job id) for the mergers' consumer group. */
    public static final String MERGE_REQUESTS = "mmgpt.merge-requests";
    /** Cancel orders ({@code JobCommand}, keyed by job id); every worker and gateway reads all of it. */
    public static final String JOB_CONTROL = "mmgpt.job-control";
    /** The latest {@code JobStatus} of every job, keyed by job id; compacted. */
    public static final String JOB_STATUS = "mmgpt.job-status";
    /** Every {@code JobEvent}, keyed by job id, kept for a time: the history that SSE replays. */
    public static final String JOB_EVENTS = "mmgpt.job-events";
    /** batch-inference requests ({@code JobRequest}, keyed by job id) for the batch-inference group. */
    public static final String BATCH_INFERENCE_REQUESTS = "mmgpt.batch-inference-requests";
    /**
     * Generation requests ({@code InferenceRequest}, keyed by request id, so they spread over the
     * partitions) for the inference workers' group.
     */
    public static final String INFERENCE_REQUESTS = "mmgpt.inference-requests";
    /**
     * Generation answers ({@code InferenceResponse}, keyed by request id), each written to the partition
     * its request names and addressed by the {@link #REPLY_TO_HEADER} header to one gateway instance.
     */
    public static final String INFERENCE_RESPONSES = "mmgpt.inference-responses";
    /** Cancel orders for generation requests ({@code InferenceCancel}); every inference worker reads all of it. */
    public static final String INFERENCE_CONTROL = "mmgpt.inference-control";

    /**
     * The header of an {@code InferenceResponse} record naming the gateway instance it is for: a
     * gateway reads one partition of the responses and skips, without parsing them, the records of
     * other instances that share it.
     */
    public static final String REPLY_TO_HEADER = "mmgpt-reply-to";

    private static final String DAYS_30 = String.valueOf(Duration.ofDays(30).toMillis());
    private static final String DAYS_7 = String.valueOf(Duration.ofDays(7).toMillis());
    private static final String HOUR_1 = String.valueOf(Duration.ofHours(1).toMillis());

    /**
     * Request topics keep 30 days so a queued job is never deleted before a worker reaches it.
     * Partition counts bound how many workers of a group can run jobs at the same time.
     */
    public static final List<TopicSpec> ALL = List.of(
            new TopicSpec(STAGE_REQUESTS, "stage-requests", 12,
                    Map.of("cleanup.policy", "delete", "retention.ms", DAYS_30)),
            new TopicSpec(MERGE_REQUESTS, "merge-requests", 6,
                    Map.of("cleanup.policy", "delete", "retention.ms", DAYS_30)),
            new TopicSpec(JOB_CONTROL, "job-control", 3,
                    Map.of("cleanup.policy", "compact,delete", "retention.ms", DAYS_30)),
            new TopicSpec(JOB_STATUS, "job-status", 6,
                    Map.of("cleanup.policy", "compact")),
            new TopicSpec(JOB_EVENTS, "job-events", 6,
                    Map.of("cleanup.policy", "delete", "retention.ms", DAYS_7)),
            new TopicSpec(BATCH_INFERENCE_REQUESTS, "batch-inference-requests", 6,
                    Map.of("cleanup.policy", "delete", "retention.ms", DAYS_30)),
            new TopicSpec(INFERENCE_REQUESTS, "inference-requests", 6,
                    Map.of("cleanup.policy", "delete", "retention.ms", HOUR_1)),
            new TopicSpec(INFERENCE_RESPONSES, "inference-responses", 6,
                    Map.of("cleanup.policy", "delete", "retention.ms", HOUR_1)),
            new TopicSpec(INFERENCE_CONTROL, "inference-control", 3,
                    Map.of("cleanup.policy", "delete", "retention.ms", HOUR_1)));

    private Topics() {
    }

    /** Where a job's request goes; a pipeline has none (the gateway runs it as child jobs). */
    public static String requestTopicFor(JobType type) {
        return switch (type) {
            case PT, SFT, DPO -> STAGE_REQUESTS;
            case MERGE -> MERGE_REQUESTS;
            case BATCH_INFERENCE -> BATCH_INFERENCE_REQUESTS;
            case PIPELINE -> throw new IllegalArgumentException("a pipeline has no request topic; its stages do");
        };
    }

    /**
     * The partition counts set in a service's config ({@code mmgpt.topics.<config-key>.partitions}),
     * by config key, for {@link TopicProvisioner}.
     */
    public static Map<String, Integer> partitionOverrides(Function<String, Optional<Integer>> config) {
        Map<String, Integer> overrides = new HashMap<>();
        for (TopicSpec spec : ALL) {
            config.apply("mmgpt.topics." + spec.configKey() + ".partitions")
                    .ifPresent(count -> overrides.put(spec.configKey(), count));
        }
        return overrides;
    }
}
